"""PA100: syntax error."""

from ..rule import Rule


class PlanSyntaxError(Rule):
    """What: the text does not follow the grammar of the plan language; the message names
    the token found and the tokens that could come there.

    Why: a plan that does not parse cannot be checked, shown or run.

    Example:
        step search "Search" after
                                  ^ unexpected end of line; expected a name

    Use instead: `step search "Search" after home`.  `planact fmt` prints the canonical
    form of a plan that parses; the grammar is grammar/plan.lark.
    """

    code = "PA100"
    name = "syntax-error"
    origin = "parser"
