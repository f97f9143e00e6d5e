"""PA208: no output."""

from collections.abc import Iterator

from ...lang import types as ty
from ...syntax import ast
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class NoOutput(Rule):
    """What: a step's id is read as a variable, but the step declares no output type.

    Why: only steps with `-> TYPE` produce a value.

    Example:
        step price "Read the price"
        step add "Add to cart" if price < 30

    Use instead: `step price "Read the price" -> number`.
    """

    code = "PA208"
    name = "no-output"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for read in analysis.reads:
            if read.symbol is not None and not read.symbol.has_value:
                yield self.diagnostic(read.ref.span, f"step `{read.ref.name}` has no output to read", _advice(read))


def _advice(read) -> str:
    """The output type the step produces (its last `extract`), or the one its reader needs."""
    step, name = read.symbol.node, read.ref.name
    if isinstance(step, ast.Step) and step.call is not None:
        proc = step.call.name.name
        return f'`{proc}` returns nothing: give the procedure an output type, `define step {proc}(...) "..." -> TYPE`'
    produced = None
    for action in getattr(step, "actions", None) or ():
        if isinstance(action, ast.Extract):
            produced = ty.from_node(action.as_type) if action.as_type else ty.TEXT
    if produced is not None:
        return f'declare what its last `extract` gives: `step {name} "..." -> {ty.show(produced)}`'
    if read.wanted is not None:
        return f'declare its output type: `step {name} "..." -> {ty.show(read.wanted)}`, as it is read here'
    return f'declare its output type: `step {name} "..." -> TYPE` (text, number, bool, url, list of T, record {{...}})'
