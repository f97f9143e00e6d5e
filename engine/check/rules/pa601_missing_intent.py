"""PA601: missing intent."""

from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class MissingIntent(Rule):
    """What: a step has no intent, or an empty one (steps that call a procedure take its intent).

    Why: the intent is the plan: it is what a person reads, what the executor model
    grounds into actions and what replanning reasons about.

    Example: `step s1 "":`

    Use instead: `step s1 "Search the catalog for {query}":`.
    """

    code = "PA601"
    name = "missing-intent"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for step in analysis.plan.steps:
            intent = step.intent
            if step.call is None and (intent is None or not intent.text.strip()):
                yield self.diagnostic(
                    intent.span if intent else step.id.span,
                    f"`{step.id.name}` has no intent",
                    'say what the step does: `step id "Open the cart"`',
                )
