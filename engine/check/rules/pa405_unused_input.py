"""PA405: unused input."""

from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UnusedInput(Rule):
    """What: an input is declared but nothing reads it.

    Why: it is either left over or a step forgot to use it (a search for the wrong thing).

    Example:
        input query: text
        step s "Search for shoes"

    Use instead: `step s "Search for {query}"`, or remove the input.
    """

    code = "PA405"
    name = "unused-input"
    severity = "warning"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for inp in analysis.plan.inputs:
            if inp.name.name not in analysis.used:
                yield Diagnostic(
                    code=self.code,
                    severity=self.severity,
                    message=f"input `{inp.name.name}` is never used",
                    span=inp.name.span,
                )
