"""PA203: unknown step in `after`."""

import difflib
from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UnknownDependency(Rule):
    """What: an `after` clause names a step that the plan does not have.

    Why: the step would wait for something that never happens.

    Example: `step pay "Pay" after chekout`

    Use instead: `after checkout`.
    """

    code = "PA203"
    name = "unknown-dependency"

    def check(self, analysis) -> Iterator[Diagnostic]:
        ids = {s.id.name for s in analysis.plan.steps}
        for step in analysis.plan.steps:
            for ident in step.after:
                if ident.name not in ids:
                    close = difflib.get_close_matches(ident.name, sorted(ids), n=1)
                    yield Diagnostic(
                        code=self.code,
                        message=f"`after` names unknown step `{ident.name}`",
                        span=ident.span,
                        help=f"did you mean `{close[0]}`?" if close else None,
                    )
