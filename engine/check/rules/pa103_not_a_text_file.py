"""PA103: not a text file."""

from ..rule import Rule


class NotATextFile(Rule):
    """What: the file is not UTF-8 text, holds NUL characters, or is larger than the limit
    (16 MiB).

    Why: plans are text; binary input is almost always the wrong file, and a bound on size
    keeps the tools responsive.

    Example: `planact lint picture.png`

    Use instead: save the plan as UTF-8 text.
    """

    code = "PA103"
    name = "not-a-text-file"
    origin = "reader"
