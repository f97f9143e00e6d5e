"""PA000: unreadable file."""

from ..rule import Rule


class UnreadableFile(Rule):
    """What: the file could not be read (missing, a directory, no permission).

    Why: nothing can be checked without the text.

    Example: `planact lint nosuch.pa`

    Use instead: a path to a readable plan file, or `-` for standard input.
    """

    code = "PA000"
    name = "unreadable-file"
    origin = "reader"
