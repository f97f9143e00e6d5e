"""PA204: undefined site."""

from collections.abc import Iterator

from ...syntax import ast
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UndefinedSite(Rule):
    """What: `goto SITE "/path"` names a site the plan does not declare.

    Why: sites are the only origins a plan may visit; the executor needs the site's URL.

    Example:
        goto shop "/cart"      # but no `site shop = ...`

    Use instead: `site shop = "http://127.0.0.1:8765"` at the top of the plan.
    """

    code = "PA204"
    name = "undefined-site"

    def check(self, analysis) -> Iterator[Diagnostic]:
        plan = analysis.plan
        declared = {s.name.name for s in plan.sites}
        for block in (*plan.defines, *plan.steps):
            for action in block.actions or ():
                site = action.site if isinstance(action, ast.Goto) else None
                if site is not None and site.name not in declared:
                    sites = ", ".join(s.name.name for s in plan.sites) or "none declared"
                    yield self.diagnostic(
                        site.span,
                        f"undefined site `{site.name}`",
                        f'declare it with `site {site.name} = "http://..."` (sites: {sites})',
                    )
