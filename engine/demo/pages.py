"""The demo shop's pages: the jinja2 templates in ``templates/``, rendered with autoescaping on.

Every ``{{ value }}`` is escaped the way the shop has always escaped text, :func:`html.escape` with
quotes (``&quot;``, ``&#x27;``), rather than markupsafe's ``&#34;``/``&#39;``, so that a page's bytes
do not depend on the template engine; a value that is already :class:`~markupsafe.Markup` (a macro's
output, :func:`query`) passes through as it is.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


def money(value: float) -> str:
    return f"${value:,.2f}"


def query(params: dict[str, Any]) -> Markup:
    """A URL's query string for an ``href``, written as the shop always has: urlencode percent-encodes
    every character HTML would read (``<``, ``>``, quotes), and its ``&`` separators stay bare."""
    return Markup(urlencode(params))


def _escape(value: object) -> object:
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


ENVIRONMENT = Environment(
    loader=PackageLoader(__package__ or "planact.demo", "templates"),
    autoescape=True,
    finalize=_escape,
    undefined=StrictUndefined,
)
ENVIRONMENT.filters["money"] = money
ENVIRONMENT.globals["query"] = query


def render(template: str, **context: Any) -> str:
    """The HTML of ``templates/<template>`` with ``context``."""
    return ENVIRONMENT.get_template(template).render(**context)
