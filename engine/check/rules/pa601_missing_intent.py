"""PA601: missing intent."""

from ..rule import FindingRule


class MissingIntent(FindingRule):
    """What: a step has no intent, or an empty one (steps that call a procedure take its intent).

    Why: the intent is the plan: it is what a person reads, what the executor model
    grounds into actions and what replanning reasons about.

    Example: `step s1 "":`

    Use instead: `step s1 "Search the catalog for {query}":`.
    """

    code = "PA601"
    name = "missing-intent"
