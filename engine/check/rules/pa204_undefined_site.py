"""PA204: undefined site."""

from ..rule import FindingRule


class UndefinedSite(FindingRule):
    """What: `goto SITE "/path"` names a site the plan does not declare.

    Why: sites are the only origins a plan may visit; the executor needs the site's URL.

    Example:
        goto shop "/cart"      # but no `site shop = ...`

    Use instead: `site shop = "http://127.0.0.1:8765"` at the top of the plan.
    """

    code = "PA204"
    name = "undefined-site"
