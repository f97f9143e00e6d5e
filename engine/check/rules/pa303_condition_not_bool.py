"""PA303: condition not bool."""

from ..rule import FindingRule


class ConditionNotBool(FindingRule):
    """What: an `if` condition or an `assert` is not a bool.

    Why: truthiness of text or numbers is a classic source of surprises; say what to test.

    Example: `step add "Add to cart" if query`

    Use instead: `if query != ""` or `if in_stock` with `in_stock -> bool`.
    """

    code = "PA303"
    name = "condition-not-bool"
