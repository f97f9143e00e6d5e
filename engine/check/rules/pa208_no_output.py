"""PA208: no output."""

from ..rule import FindingRule


class NoOutput(FindingRule):
    """What: a step's id is read as a variable, but the step declares no output type.

    Why: only steps with `-> TYPE` produce a value.

    Example:
        step price "Read the price"
        step add "Add to cart" if price < 30

    Use instead: `step price "Read the price" -> number`.
    """

    code = "PA208"
    name = "no-output"
