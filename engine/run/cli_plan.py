"""`planact plan`: a goal and a start page become a plan that lints clean, or nothing is written."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from ..browser.launch import BrowserNotFound
from ..browser.observe import Observation, observe
from ..browser.session import BrowserSession, SessionOptions
from ..check.origins import origin_of
from ..models.base import Model, ModelError
from ..syntax.format import format_plan
from .asking import Asker
from .events import Event, ModelCall, ModelRejected
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


def make_plan(
    goal: str, site_url: str, site_name: str, spec: str | None, attempts: int, out: str | None, as_json: bool,
    options: SessionOptions,
) -> int:  # fmt: skip
    """The command: 0 a plan was written, 1 the model gave no usable plan, 2 bad setup."""
    from ..models.config import describe_model, load_model

    if origin_of(site_url) is None:
        click.echo(f"error: --site takes an http(s) URL, not {site_url!r}", err=True)
        return 2
    try:
        model = load_model(spec, role="planner", default="local")
    except ModelError as err:
        click.echo(f"error: {err}", err=True)
        return 2
    assert model is not None

    def progress(event: Event) -> None:
        if as_json:
            return
        if isinstance(event, ModelCall):
            click.echo(
                f"  model answered: {event.completion_tokens} tokens in {event.latency_ms / 1000:.1f} s", err=True
            )
        elif isinstance(event, ModelRejected):
            click.echo(f"  rejected: {event.reason.splitlines()[0][:120]}", err=True)

    if not as_json:
        click.echo(f"Planning with {describe_model(model)}: {goal}", err=True)
    try:
        draft, asker = asyncio.run(draft_plan(goal, site_url, site_name, model, options, attempts, progress))
    except BrowserNotFound as err:
        click.echo(f"error: {err}", err=True)
        return 2
    except ModelError as err:
        click.echo(f"error: {err}", err=True)
        return 2
    text = format_plan(draft.plan) if draft.plan is not None else None
    if as_json:
        click.echo(json.dumps({
            "ok": text is not None, "plan": text, "attempts": draft.attempts, "problems": draft.problems or None,
            "last_answer": draft.text if text is None else None, "tokens": asker.tally.as_dict(),
            "reasoning": draft.reasoning,
        }, indent=2, ensure_ascii=False))  # fmt: skip
    if text is None:
        if not as_json:
            click.echo(f"no plan: the model's answers did not lint clean after {draft.attempts} attempts", err=True)
            click.echo(draft.problems, err=True)
        return 1
    if out:
        Path(out).write_text(text, encoding="utf-8")
        if not as_json:
            click.echo(f"wrote {out} ({len(draft.plan.steps)} steps, {draft.attempts} attempts)", err=True)
    elif not as_json:
        click.echo(text, nl=False)
    return 0
