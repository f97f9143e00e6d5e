"""PA301: operator types."""

from ..rule import FindingRule


class OperatorTypes(FindingRule):
    """What: an operator gets operands of the wrong types: `<` on text, `==` between a number
    and text, `and`/`or`/`not` on non-bool values, `contains` on a number, a list literal
    with mixed item types, `matches` with an invalid regular expression.

    Why: the condition could never mean what it says.

    Example: `step add "Add it" if price < "30"` with `price -> number`.

    Use instead: `if price < 30`.
    """

    code = "PA301"
    name = "operator-types"
