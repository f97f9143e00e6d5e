"""A first plan from a goal and a start page: the page observed in Chromium, then the planner asked (`planact plan`, the MCP server's `plan` tool)."""

from __future__ import annotations

from ..browser.observe import Observation, observe
from ..browser.session import BrowserSession, SessionOptions
from ..lang.origins import origin_of
from ..models.base import Model
from .asking import Asker
from .planner import Draft, Planner


async def observe_url(url: str, options: SessionOptions) -> Observation:
    """The page at ``url`` as the executor model sees it, opened in a browser session of its own."""
    session = BrowserSession(options)
    await session.start()
    try:
        await session.page.goto(url)
        return await observe(session.page)
    finally:
        await session.close()


async def draft_plan(
    goal: str, site_url: str, site_name: str, model: Model, options: SessionOptions, attempts: int = 3, emit=None
) -> tuple[Draft, Asker]:
    """Observe the start page in Chromium, then ask ``model`` for a plan (re-asking on problems)."""
    origin = origin_of(site_url)
    options.allowed_origins = frozenset({origin} if origin else ())
    seen = await observe_url(site_url, options)
    asker = Asker(emit or (lambda event: None))
    planner = Planner(model, asker, attempts=attempts)
    return await planner.draft(goal, site_name, site_url, seen), asker
