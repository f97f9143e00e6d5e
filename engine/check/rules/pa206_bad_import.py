"""PA206: bad import."""

from ..rule import FindingRule


class BadImport(FindingRule):
    """What: `use NAME` names no standard module, or `use "file.pa"` cannot be read or parsed.

    Why: the procedures it should provide are missing.

    Example: `use webb`

    Use instead: `use web`; `planact lint` on the imported file shows its own problems.
    """

    code = "PA206"
    name = "bad-import"
