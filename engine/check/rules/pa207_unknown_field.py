"""PA207: unknown field."""

from collections.abc import Iterator

from ...lang import types as ty
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UnknownField(Rule):
    """What: `x.field` reads a field that the record type of `x` does not have, or reads a
    field of a value that is not a record.

    Why: the value would be missing at run time.

    Example:
        input address: record {street: text, city: text}
        step s "Ship to {address.zip}"

    Use instead: a declared field, or add `zip: text` to the record type.
    """

    code = "PA207"
    name = "unknown-field"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for read in analysis.reads:
            if read.symbol is None or not read.symbol.has_value:
                continue
            ref, t = read.ref, read.symbol.type
            for name in ref.fields:
                if t is None:
                    break
                if not (isinstance(t, tuple) and t[0] == "record"):
                    yield self.diagnostic(ref.span, f"`{ref.dotted}`: a {ty.show(t)} has no field `{name}`")
                    break
                fields = dict(t[1])
                if name not in fields:
                    yield self.diagnostic(
                        ref.span, f"`{ref.dotted}`: no field `{name}` in {ty.show(t)}", "fields: " + ", ".join(fields)
                    )
                    break
                t = fields[name]
