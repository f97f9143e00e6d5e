"""PA201: undefined name."""

from ..rule import FindingRule


class UndefinedName(FindingRule):
    """What: a variable is read that no input, step, loop or parameter defines.

    Why: the value would be missing at run time.

    Example:
        input query: text
        step s "Search for {qeury}"

    Use instead: `{query}`, or declare the input: `input qeury: text`.
    """

    code = "PA201"
    name = "undefined-name"
