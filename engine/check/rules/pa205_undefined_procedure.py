"""PA205: undefined procedure."""

import difflib
from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UndefinedProcedure(Rule):
    """What: a step calls a procedure that is neither defined in the plan nor imported.

    Why: the call has no body to run.

    Example: `step signin: login(user, password)` without `use web`.

    Use instead: `use web` (the standard library) or `define step login(...)`.
    """

    code = "PA205"
    name = "undefined-procedure"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for site in analysis.calls:
            if site.procedure is None:
                name = site.call.name
                close = difflib.get_close_matches(name.name, list(analysis.procedures), n=1)
                yield self.diagnostic(
                    name.span,
                    f"undefined procedure `{name.name}`",
                    f"did you mean `{close[0]}`?"
                    if close
                    else "define it with `define step` or import a library: `use web`",
                )
