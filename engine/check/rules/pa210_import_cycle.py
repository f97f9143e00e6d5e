"""PA210: import cycle."""

from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class ImportCycle(Rule):
    """What: `use "file.pa"` leads back, directly or through other files' `use` lines, to a
    file already being imported: a file that uses itself, two files that use each other, or
    a longer circle.  The message shows the chain of imports.

    Why: there is no order in which the files could be loaded, and a file importing its own
    procedures defines each of them twice.

    Example:
        # a.pa
        use "b.pa"
        # b.pa
        use "a.pa"

    Use instead: move the procedures both files need into a third file that both import
    and that imports neither.
    """

    code = "PA210"
    name = "import-cycle"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for imported in analysis.imports:
            if imported.cycle:
                yield self.diagnostic(
                    imported.use.span,
                    "import cycle: " + " -> ".join(f"`{name}`" for name in imported.cycle),
                    "a file cannot import itself, directly or through other files: "
                    "move the procedures they share into a file that imports neither",
                )
