"""PA302: call arguments."""

from collections.abc import Iterator

from ...lang import types as ty
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class CallArguments(Rule):
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

    def check(self, analysis) -> Iterator[Diagnostic]:
        for site in analysis.calls:
            if site.procedure is None:
                continue  # PA205
            call, params = site.call, site.procedure.define.params
            name = call.name.name
            signature = f"`{name}(" + ", ".join(f"{p.name.name}: {ty.show(ty.from_node(p.type))}" for p in params)
            signature += ")`" + (f" (from `{site.procedure.module}`)" if site.procedure.module else "")
            for b in site.bindings:
                if b.problem == "after-keyword":
                    yield self.diagnostic(
                        b.arg.span,
                        "positional argument after a keyword argument",
                        "give the positional arguments first, then the named ones: `proc(a, b, name=c)`",
                    )
                elif b.problem == "extra":
                    yield self.diagnostic(
                        b.arg.span,
                        f"`{name}` takes {len(params)} argument(s), got {len(call.args)}",
                        f"the procedure is {signature}",
                    )
                elif b.problem == "unknown":
                    yield self.diagnostic(
                        b.arg.name.span,
                        f"`{name}` has no parameter `{b.arg.name.name}`",
                        "parameters: " + ", ".join(p.name.name for p in params),
                    )
                elif b.problem == "twice":
                    yield self.diagnostic(
                        b.arg.span,
                        f"parameter `{b.param}` given twice",
                        "give each parameter once, by position or by name",
                    )
            bound = {b.param: b for b in site.bindings if b.problem is None}
            for p in params:
                want, b = ty.from_node(p.type), bound.get(p.name.name)
                if b is None:
                    yield self.diagnostic(
                        call.span,
                        f"missing argument `{p.name.name}: {ty.show(want)}` for `{name}`",
                        f"give every parameter a value: the procedure is {signature}",
                    )
                elif not ty.assignable(b.type, want):
                    yield self.diagnostic(
                        b.arg.value.span,
                        f"argument `{p.name.name}` of `{name}` must be {ty.show(want)}, not {ty.show(b.type)}",
                        f"pass a {ty.show(want)}: the procedure is {signature}",
                    )
