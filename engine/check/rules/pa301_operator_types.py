"""PA301: operator types."""

from ..rule import FindingRule


class OperatorTypes(FindingRule):
    """What: an operator gets operands of the wrong types: `<` on text, `==` between a number
    and text, `and`/`or`/`not` on non-bool values, `contains` on a number, a list literal
    with mixed item types, `matches` with an invalid regular expression; and any comparison
    (`== != < <= > >= contains matches`) with a `secret` on either side.

    Why: the condition could never mean what it says.  A condition on a secret is refused
    whatever the operator: each run that takes or skips a step tells something about the
    secret's value (`password == "..."`, `password contains "a"`), so asking enough of them
    reveals it.

    Example: `step add "Add it" if price < "30"` with `price -> number`.

    Use instead: `if price < 30`; a secret is only filled into a field (`fill label "Password"
    with password`) or passed to a parameter of type secret.
    """

    code = "PA301"
    name = "operator-types"
