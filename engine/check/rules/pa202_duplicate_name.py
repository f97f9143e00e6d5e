"""PA202: duplicate name."""

from ..rule import FindingRule


class DuplicateName(FindingRule):
    """What: two definitions share a name in one namespace: steps and inputs (they are both
    variables), sites, procedures, parameters of a procedure, fields of a record.

    Why: a reference or an `after` could not tell which one is meant, and the step graph is
    keyed by step id.

    Example:
        step search "Search for shoes"
        step search "Search for socks"

    Use instead: distinct ids: `search_shoes`, `search_socks`.
    """

    code = "PA202"
    name = "duplicate-name"
