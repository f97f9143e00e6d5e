"""PA304: loop not list."""

from ..rule import FindingRule


class LoopNotList(FindingRule):
    """What: `for x in VALUE` iterates over something that is not a list.

    Why: only lists have items to loop over.

    Example: `step each "Open {x}" for x in query` with `input query: text`.

    Use instead: a `list of T` input or step output.
    """

    code = "PA304"
    name = "loop-not-list"
