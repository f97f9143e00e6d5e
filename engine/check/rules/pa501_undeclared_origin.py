"""PA501: navigation to an undeclared origin."""

from collections.abc import Iterator

from ...syntax import ast
from ...syntax.diagnostics import Diagnostic
from ..origins import origin_of
from ..rule import Rule


class UndeclaredOrigin(Rule):
    """What: `goto` or `tab open` names an absolute URL whose origin no `site` declares
    (a relative URL without a site is reported too).

    Why: a plan may only visit the sites it declares; this keeps an agent (or a model that
    wrote the plan) from wandering to other hosts.  The executor enforces the same rule at
    run time, redirects and pop-ups included.

    Example:
        site shop = "http://127.0.0.1:8765"
        step s "Open the docs":
            goto "https://example.com/docs"

    Use instead: declare it: `site docs = "https://example.com"` and `goto docs "/docs"`.
    """

    code = "PA501"
    name = "undeclared-origin"

    def check(self, analysis) -> Iterator[Diagnostic]:
        allowed = {o for o in (origin_of(s.url.text) for s in analysis.plan.sites) if o}
        blocks = [(s.actions or ()) for s in analysis.plan.steps] + [(d.actions or ()) for d in analysis.plan.defines]
        for actions in blocks:
            for action in actions:
                if isinstance(action, ast.Goto) and action.site is None or isinstance(action, ast.TabOpen):
                    url = action.url
                    if not isinstance(url, ast.StringLit) or url.text.startswith("{"):
                        continue  # a variable: checked at run time
                    o = origin_of(url.text)
                    if o is None:
                        yield Diagnostic(
                            code=self.code,
                            message=f"`{url.text}` is not an absolute http(s) URL",
                            span=url.span,
                            help='navigate on a declared site: `goto shop "/path"`',
                        )
                    elif o not in allowed:
                        yield Diagnostic(
                            code=self.code,
                            message=f"navigation to {o}, which no `site` declares",
                            span=url.span,
                            help=f'declare it: `site name = "{o}"`',
                        )
