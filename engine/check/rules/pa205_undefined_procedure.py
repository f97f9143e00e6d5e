"""PA205: undefined procedure."""

from ..rule import FindingRule


class UndefinedProcedure(FindingRule):
    """What: a step calls a procedure that is neither defined in the plan nor imported.

    Why: the call has no body to run.

    Example: `step signin: login(user, password)` without `use web`.

    Use instead: `use web` (the standard library) or `define step login(...)`.
    """

    code = "PA205"
    name = "undefined-procedure"
