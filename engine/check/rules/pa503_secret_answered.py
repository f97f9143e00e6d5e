"""PA503: secret answered."""

from collections.abc import Iterator

from ...lang import types as ty
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class SecretAnswered(Rule):
    """What: `answer` gives a secret (or a record/list holding one).

    Why: the answer is printed and stored in the run record.

    Example: `answer password`

    Use instead: answer something derived that is not secret.
    """

    code = "PA503"
    name = "secret-answered"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for use in analysis.uses:
            if use.place == "answer" and ty.contains_secret(use.given):
                yield self.diagnostic(use.value.span, "a secret given as the answer")
