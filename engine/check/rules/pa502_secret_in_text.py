"""PA502: secret in text."""

from collections.abc import Iterator

from ...lang import types as ty
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class SecretInText(Rule):
    """What: a `secret` value is interpolated into a string: an intent, a target name, a URL,
    an answer.

    Why: intents and strings are logged, shown to models and stored in run records; a
    secret must only flow into a `fill` or a procedure parameter of type secret.

    Example: `step login "Log in with {password}"`

    Use instead: `step login "Log in as {user}":` and `fill label "Password" password`.
    """

    code = "PA502"
    name = "secret-in-text"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for read in analysis.reads:
            if read.in_text and ty.contains_secret(read.type):
                yield self.diagnostic(
                    read.ref.span,
                    f"secret `{read.ref.dotted}` interpolated into text",
                    "pass a secret only as a `fill` value or a call argument",
                )
