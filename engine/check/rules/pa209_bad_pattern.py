"""PA209: bad input pattern."""

from collections.abc import Iterator

from ...lang.patterns import pattern_problems
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class BadPattern(Rule):
    """What: an input's `matching` pattern captures a field its record type does not have,
    misses one it has, captures one twice, puts two fields side by side, or belongs to an
    input whose type cannot be parsed from text (a secret, a record of records).

    Why: the input is given as text (an episode's instruction, say) and the pattern is how
    its fields are read; a field no pattern captures would be missing at run time.

    Example:
        input task: record {label: text, n: number} matching "Click {label}."

    Use instead: `matching "Click {label} {n} times."`, every field once, with literal text
    between fields.
    """

    code = "PA209"
    name = "bad-pattern"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for inp in analysis.plan.inputs:
            for span, message in pattern_problems(inp):
                yield self.diagnostic(span, message)
