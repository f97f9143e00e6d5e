"""PA000: unreadable file."""

from ..rule import Rule


class UnreadableFile(Rule):
    """What: the file could not be read (missing, no permission), or a folder given to
    `planact lint` holds no `.pa` file.  (A folder is linted as every `*.pa` file under it,
    recursively, in sorted order.)

    Why: nothing can be checked without the text.

    Example: `planact lint nosuch.pa`, or `planact lint empty-folder/`

    Use instead: a path to a readable plan file or to a folder of them, or `-` for standard
    input.
    """

    code = "PA000"
    name = "unreadable-file"
    origin = "reader"
