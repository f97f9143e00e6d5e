"""PA206: bad import."""

from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class BadImport(Rule):
    """What: `use NAME` names no standard module, or `use "file.pa"` cannot be read or parsed.

    Why: the procedures it should provide are missing.

    Example: `use webb`

    Use instead: `use web`; `planact lint` on the imported file shows its own problems.
    """

    code = "PA206"
    name = "bad-import"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for imported in analysis.imports:
            if imported.module.error:
                yield self.diagnostic(imported.use.span, imported.module.error, imported.module.help)
