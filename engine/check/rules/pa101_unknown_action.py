"""PA101: unknown action."""

from ..rule import Rule


class UnknownAction(Rule):
    """What: an action block holds a word that is not an action.

    Why: the executor only knows its action vocabulary: goto, click, fill, press, select,
    check, uncheck, hover, scroll, wait, back, forward, tab, extract, assert, answer.

    Example:
        step go "Open the cart":
            clik link "Cart"

    Use instead: `click link "Cart"`.
    """

    code = "PA101"
    name = "unknown-action"
    origin = "parser"
