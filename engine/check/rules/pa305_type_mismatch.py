"""PA305: type mismatch."""

from ..rule import FindingRule


class TypeMismatch(FindingRule):
    """What: a value does not fit the type declared for it: an input's default, the value a
    step's last `extract` produces versus its `-> TYPE`, a procedure's result, a `fill`
    value, a URL.

    Why: the declared type is a promise that later steps rely on.

    Example:
        step price "Read the price" -> number:
            extract text first within css ".price"

    Use instead: `extract text first within css ".price" as number`.
    """

    code = "PA305"
    name = "type-mismatch"
