"""PA305: type mismatch."""

from collections.abc import Iterator

from ...lang import types as ty
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class TypeMismatch(Rule):
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

    def check(self, analysis) -> Iterator[Diagnostic]:
        for use in analysis.uses:
            got, want = use.given, use.wanted
            match use.place:
                case "default" | "goto" | "tab" if not ty.assignable(got, want):
                    what = {"goto": "a goto target", "tab": "a tab's URL"}.get(use.place) or (
                        f"the default of `{use.owner.name.name}`"
                    )
                    yield self.diagnostic(use.value.span, f"{what} must be {ty.show(want)}, not {ty.show(got)}")
                case "fill" if got not in (None, ty.TEXT, ty.URL, ty.SECRET, ty.NUMBER):
                    yield self.diagnostic(
                        use.value.span, f"`{use.owner.op}` types text, a number or a secret, not a {ty.show(got)}"
                    )
                case "result":
                    name = use.owner.call.name.name
                    if use.owner.procedure.define.output is None:
                        yield self.diagnostic(
                            use.value.span, f"`{name}` returns nothing, but the step declares -> {ty.show(want)}"
                        )
                    elif not ty.assignable(got, want):
                        yield self.diagnostic(use.value.span, f"`{name}` returns {ty.show(got)}, not {ty.show(want)}")
                case "output":
                    if use.owner is None:
                        yield self.diagnostic(
                            use.value.span,
                            f"declares -> {ty.show(want)} but no `extract` gives it",
                            "end the block with `extract TARGET as TYPE`",
                        )
                    elif not ty.assignable(got, want):
                        yield self.diagnostic(
                            use.owner.span,
                            f"extracts {ty.show(got)}, but the step declares -> {ty.show(want)}",
                            f"write `as {ty.show(want)}`",
                        )
