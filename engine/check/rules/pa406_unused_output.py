"""PA406: unused step output."""

from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UnusedOutput(Rule):
    """What: a step declares an output (`-> TYPE`) that no later step, condition or answer
    reads.

    Why: the value is computed for nothing; often an `answer` or a condition forgot it.

    Example:
        step price "Read the price" -> number
        step report "Report":
            answer "done"

    Use instead: `answer "The price is {price}"`, or drop `-> number`.
    """

    code = "PA406"
    name = "unused-output"
    severity = "warning"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for step in analysis.plan.steps:
            if step.output is not None and step.id.name not in analysis.used:
                yield Diagnostic(
                    code=self.code,
                    severity=self.severity,
                    span=step.output.span,
                    message=f"the output of step `{step.id.name}` is never used",
                )
