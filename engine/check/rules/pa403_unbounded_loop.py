"""PA403: loop without a bound."""

from collections.abc import Iterator

from ...syntax import ast
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UnboundedLoop(Rule):
    """What: a `for` loop runs over a list that a step produces at run time (a page's
    results, say) and has no `max N`; or its bound is 0.

    Why: the page decides how long such a loop runs; a bound keeps a run (and its cost in
    model calls) finite.  Loops over inputs and literal lists are bounded by their value.

    Example: `step open "Open {r}" for r in results`

    Use instead: `step open "Open {r}" for r in results max 20`.
    """

    code = "PA403"
    name = "unbounded-loop"

    def check(self, analysis) -> Iterator[Diagnostic]:
        symbols = analysis.globals
        for step in analysis.plan.steps:
            loop = step.loop
            if loop is None:
                continue
            if loop.max == 0:
                yield Diagnostic(code=self.code, message="`max 0`: the loop never runs", span=loop.span)
            it = loop.iterable
            runtime = isinstance(it, ast.Ref) and getattr(symbols.get(it.name), "kind", None) == "step"
            if runtime and loop.max is None:
                yield Diagnostic(
                    code=self.code,
                    span=it.span,
                    message=f"loop over `{it.dotted}`, a step's output, has no bound",
                    help=f"add a bound: `for {loop.var.name} in {it.dotted} max 20`",
                )
