"""PA502: secret in text."""

from ..rule import FindingRule


class SecretInText(FindingRule):
    """What: a `secret` value is interpolated into a string: an intent, a target name, a URL,
    an answer.

    Why: intents and strings are logged, shown to models and stored in run records; a
    secret must only flow into a `fill` or a procedure parameter of type secret.

    Example: `step login "Log in with {password}"`

    Use instead: `step login "Log in as {user}":` and `fill label "Password" password`.
    """

    code = "PA502"
    name = "secret-in-text"
