"""PA201: undefined name."""

import difflib
from collections.abc import Iterator

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UndefinedName(Rule):
    """What: a variable is read that no input, step, loop or parameter defines.

    Why: the value would be missing at run time.

    Example:
        input query: text
        step s "Search for {qeury}"

    Use instead: `{query}`, or declare the input: `input qeury: text`.
    """

    code = "PA201"
    name = "undefined-name"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for read in analysis.reads:
            if read.symbol is None:
                close = difflib.get_close_matches(read.ref.name, list(read.scope), n=1)
                yield self.diagnostic(
                    read.ref.span,
                    f"undefined name `{read.ref.name}`",
                    f"did you mean `{close[0]}`?"
                    if close
                    else "declare it with `input` or give a step that id and an output type",
                )
