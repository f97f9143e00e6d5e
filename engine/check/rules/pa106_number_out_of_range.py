"""PA106: number out of range."""

from ..rule import Rule


class NumberOutOfRange(Rule):
    """What: a number literal (a default, a condition's operand, `scroll down N`, `nth N`,
    `max N`, `wait N`, `tab switch N`, ...) has more than 15 digits before the decimal point
    (it is 10^15, a million billion, or more) or more than 30 digits after it.

    Why: no page needs such a number, whole numbers beyond it are no longer exact once
    compared with numbers read from a page, and a bound keeps every later stage (formatting,
    diffing, running) safe from values that cannot be converted or would become infinite.

    Example: `scroll down 99999999999999999999`

    Use instead: a number in range: `scroll down 5`.
    """

    code = "PA106"
    name = "number-out-of-range"
    origin = "parser"
