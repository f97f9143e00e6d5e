"""PA105: nesting too deep."""

from ..rule import Rule


class TooDeep(Rule):
    """What: an expression or list is nested more than 100 levels deep.

    Why: no real plan needs it, and a bound keeps every later stage safe from pathological
    input.

    Example: `input x: list of number = [[[[[[ ... ]]]]]]`

    Use instead: a flatter value.
    """

    code = "PA105"
    name = "nesting-too-deep"
    origin = "parser"
