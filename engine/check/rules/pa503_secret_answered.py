"""PA503: secret answered."""

from ..rule import FindingRule


class SecretAnswered(FindingRule):
    """What: `answer` gives a secret (or a record/list holding one).

    Why: the answer is printed and stored in the run record.

    Example: `answer password`

    Use instead: answer something derived that is not secret.
    """

    code = "PA503"
    name = "secret-answered"
