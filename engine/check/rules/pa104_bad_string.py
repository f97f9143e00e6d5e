"""PA104: bad string."""

from ..rule import Rule


class BadString(Rule):
    """What: a string holds an unknown escape (`\\q`) or a broken interpolation (`{`
    without `}`, `{}` or `{not a name}`).

    Why: `{name}` inserts a variable into the string; anything else between braces is
    almost always a typo.

    Example: `step s "Search for {query":`

    Use instead: `"Search for {query}"`; a literal brace is written `\\{`.
    """

    code = "PA104"
    name = "bad-string"
    origin = "parser"
