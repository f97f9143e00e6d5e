"""PA302: call arguments."""

from ..rule import FindingRule


class CallArguments(FindingRule):
    """What: a procedure call has missing, extra, unknown, repeated or wrongly typed arguments.

    Why: the procedure's parameters are typed; the call must fill each one with a value of
    its type.

    Example:
        define step go_to_page(n: number) "Go to page {n}"
        step p: go_to_page("two")

    Use instead: `go_to_page(2)` or `go_to_page(n=2)`.
    """

    code = "PA302"
    name = "call-arguments"
