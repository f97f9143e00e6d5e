"""PA504: bad site URL."""

from collections.abc import Iterator
from urllib.parse import urlsplit

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class BadSiteUrl(Rule):
    """What: a `site` URL is not an http(s) origin: no scheme, no host, a path, query or
    interpolation.

    Why: a site declares an origin (scheme, host and port) that the plan may visit; paths
    belong in `goto site "/path"`.

    Example: `site shop = "127.0.0.1:8765/shop"`

    Use instead: `site shop = "http://127.0.0.1:8765"` and `goto shop "/shop"`.
    """

    code = "PA504"
    name = "bad-site-url"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for site in analysis.plan.sites:
            url = site.url.text
            parts = urlsplit(url)
            if (
                site.url.refs
                or parts.scheme not in ("http", "https")
                or not parts.netloc
                or parts.path not in ("", "/")
                or parts.query
                or parts.fragment
            ):
                yield Diagnostic(
                    code=self.code,
                    message=f"site `{site.name.name}` must be an http(s) origin, not `{url}`",
                    span=site.url.span,
                    help='e.g. `site shop = "http://127.0.0.1:8765"`',
                )
