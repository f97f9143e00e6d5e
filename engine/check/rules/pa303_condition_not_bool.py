"""PA303: condition not bool."""

from collections.abc import Iterator

from ...lang import types as ty
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class ConditionNotBool(Rule):
    """What: an `if` condition or an `assert` is not a bool.

    Why: truthiness of text or numbers is a classic source of surprises; say what to test.

    Example: `step add "Add to cart" if query`

    Use instead: `if query != ""` or `if in_stock` with `in_stock -> bool`.
    """

    code = "PA303"
    name = "condition-not-bool"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for use in analysis.uses:
            if use.place not in ("condition", "assert") or use.given in (None, ty.BOOL):
                continue
            if use.place == "condition":
                yield self.diagnostic(
                    use.value.span,
                    f"a condition must be a bool, not a {ty.show(use.given)}",
                    "compare it: `if x == ...`, `if x > 0`",
                )
            else:
                yield self.diagnostic(use.value.span, f"`assert` needs a bool, not a {ty.show(use.given)}")
