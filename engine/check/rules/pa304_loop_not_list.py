"""PA304: loop not list."""

from collections.abc import Iterator

from ...lang import types as ty
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class LoopNotList(Rule):
    """What: `for x in VALUE` iterates over something that is not a list.

    Why: only lists have items to loop over.

    Example: `step each "Open {x}" for x in query` with `input query: text`.

    Use instead: a `list of T` input or step output.
    """

    code = "PA304"
    name = "loop-not-list"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for use in analysis.uses:
            t = use.given
            if use.place == "loop" and t is not None and not (isinstance(t, tuple) and t[0] == "list"):
                yield self.diagnostic(use.value.span, f"`for` needs a list, not a {ty.show(t)}")
