"""PA407: unused procedure."""

from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UnusedProcedure(Rule):
    """What: a plan defines a procedure that none of its steps calls.

    Why: dead code in a plan is usually a step that forgot to call it.  Library files
    (plans without steps, like stdlib/web.pa) are exempt.

    Example:
        define step login(user: text) "Log in as {user}"
        step s "Search"

    Use instead: `step signin: login(user)`, or move the procedure to a library.
    """

    code = "PA407"
    name = "unused-procedure"
    severity = "warning"

    def check(self, analysis) -> Iterator[Diagnostic]:
        if not analysis.plan.steps:
            return
        for define in analysis.plan.defines:
            if define.name.name not in analysis.used_procedures:
                yield Diagnostic(
                    code=self.code,
                    severity=self.severity,
                    span=define.name.span,
                    message=f"procedure `{define.name.name}` is never called",
                )
