"""PA207: unknown field."""

from ..rule import FindingRule


class UnknownField(FindingRule):
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
