"""Execute one action of the language in the browser, bounded in time, and describe what happened."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from ..lang.deps import action_refs
from ..lang.evaluate import EvaluationError, Secret, evaluate, interpolate, show
from ..lang.origins import origin_of
from ..lang.values import page_value
from ..syntax import ast
from ..syntax.format import format_action
from .dates import FIELD_TYPES, field_value
from .internal import loaded
from .session import BrowserSession
from .targets import EXPECTED, Resolved, TargetError, act, locator_for, resolve

MAX_WAIT_SECONDS = 60.0


class ActionFailed(Exception):
    """An action could not be carried out; the message says what and why."""


@dataclass
class ActionResult:
    """One executed action: its text (no secret values), what its target resolved to, its value."""

    text: str
    target: Resolved | None = None
    value: Any = None
    url: str = ""
    ms: float = 0.0

    def event(self) -> dict[str, Any]:
        return {  # secrets in `value` are masked when the record is written
            "action": self.text, "target": self.target.as_dict() if self.target else None,
            "value": self.value, "url": self.url, "ms": round(self.ms, 1),
        }  # fmt: skip


def needs_title(refs: Iterable[ast.Ref]) -> bool:
    """Do these references read the page's title (``page.title``, or ``page`` whole)?  Only the title costs a
    round trip to the browser; the URL is known without one."""
    return any(ref.name == "page" and (not ref.fields or ref.fields[0] == "title") for ref in refs)


async def page_vars(page: Any, refs: Iterable[ast.Ref]) -> dict[str, str]:
    """The built-in ``page`` variable for an expression with these references."""
    return {"url": page.url, "title": await page.title() if needs_title(refs) else ""}


def _typed_text(value: Any) -> str:
    return value.reveal() if isinstance(value, Secret) else show(value)


async def perform(
    session: BrowserSession,
    action: ast.Action,
    variables: Mapping[str, Any],
    sites: Mapping[str, str],
    expected: dict[str, Any] | None = None,
) -> ActionResult:
    """Run ``action``; raises :class:`ActionFailed` with a clear message when it cannot be done.

    ``expected`` is what the action's target resolved to in a recorded run (role, name, tag):
    if the page now resolves it to something else, the action fails instead of acting.
    """
    start = time.perf_counter()
    page = session.page
    reads_page = [ref for ref in action_refs(action) if ref.name == "page"]
    scope = {**variables, "page": await page_vars(page, reads_page)} if reads_page else variables
    result = ActionResult(format_action(action))
    timeout = session.options.timeout_ms
    token = EXPECTED.set(expected)
    try:
        result.target, result.value = await _dispatch(session, action, scope, sites, timeout)
    except (TargetError, EvaluationError) as err:
        raise ActionFailed(f"`{result.text}`: {err}") from None
    except ActionFailed as err:
        raise ActionFailed(f"`{result.text}`: {err}") from None
    except Exception as err:  # Playwright errors: timeouts, detached elements, closed pages
        message = " ".join(str(err).split("Call log:")[0].split())[:240]
        raise ActionFailed(f"`{result.text}`: {message}") from None
    finally:
        EXPECTED.reset(token)
    result.url = session.page.url if session.tabs else ""
    result.ms = (time.perf_counter() - start) * 1000
    return result


@contextlib.asynccontextmanager
async def _maybe_navigation(page: Any, timeout: float, window_ms: float = 400) -> Any:
    """Run the block; if it starts a navigation within ``window_ms``, wait until the new page has loaded."""
    navigated = asyncio.Event()

    def on_frame(frame: Any) -> None:
        if frame == page.main_frame:
            navigated.set()

    page.on("framenavigated", on_frame)
    try:
        yield
        try:
            await asyncio.wait_for(navigated.wait(), window_ms / 1000)
        except TimeoutError:
            return
        await loaded(page, timeout)
    finally:
        page.remove_listener("framenavigated", on_frame)


async def _navigate(session: BrowserSession, page: Any, url: str) -> None:
    origin = origin_of(url)
    if origin is None or origin not in session.options.allowed_origins:
        session.blocked.append(url)
        raise ActionFailed(f"navigation to {url} is blocked: the plan declares no `site` for {origin or 'it'}")
    try:
        await page.goto(url, wait_until="load")
    except Exception:
        if (
            session.blocked
            and session.blocked[-1] != url
            and origin_of(session.blocked[-1]) not in session.options.allowed_origins
        ):
            raise ActionFailed(
                f"navigation to {url} redirected to {session.blocked[-1]}, which the plan does not declare: blocked"
            ) from None
        raise


async def _click(
    session: BrowserSession, page: Any, target: ast.Target, scope: Mapping[str, Any], timeout: float
) -> Resolved | None:
    """Click; a link that opens a new tab makes that tab the current one before the next action runs, not
    whenever its event lands."""
    opened: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_page(new: Any) -> None:
        if not opened.done():
            opened.set_result(new)

    session.context.on("page", on_page)
    try:
        resolved = await act(page, target, scope, timeout, lambda loc: loc.click(timeout=timeout))
        if resolved is not None and resolved.tag in ("a", "area") and resolved.blank:
            new = await asyncio.wait_for(opened, timeout / 1000)
            session.adopt_tab(new)
            await loaded(new)
            return resolved
    finally:
        session.context.remove_listener("page", on_page)
    await loaded(page)
    return resolved


async def _fill(loc: Any, text: str, timeout: float) -> None:
    """Fill; a date or time field takes the date or time as a person writes it (``01/28/2011``, ``6:09 PM``)."""
    kind = await loc.evaluate("el => el instanceof HTMLInputElement ? el.type : ''", timeout=timeout)
    if kind not in FIELD_TYPES:
        await loc.fill(text, timeout=timeout)
        return
    await loc.fill(field_value(kind, text), timeout=timeout)
    if text.strip() and not await loc.input_value(timeout=timeout):  # the browser drops what it cannot read
        raise ActionFailed(f"the {kind} field stays empty: it takes a {kind} such as {FIELD_TYPES[kind]}")


async def _dispatch(
    session: BrowserSession, action: ast.Action, scope: Mapping[str, Any], sites: Mapping[str, str], timeout: float
) -> tuple[Resolved | None, Any]:
    page = session.page
    match action:
        case ast.Goto(site=site, url=url):
            target_url = evaluate(url, scope)
            if site is not None:
                target_url = urljoin(sites[site.name].rstrip("/") + "/", str(target_url).lstrip("/"))
            await _navigate(session, page, str(target_url))
            return None, None
        case ast.Click(target=target):
            return await _click(session, page, target, scope, timeout), None
        case ast.Fill(target=target, value=value):
            text = _typed_text(evaluate(value, scope))
            return await act(page, target, scope, timeout, lambda loc: _fill(loc, text, timeout)), None
        case ast.Select(target=target, value=value):
            text = _typed_text(evaluate(value, scope))

            async def select(loc: Any) -> None:
                # a select may submit its form from script (onchange): give such a navigation time to start
                async with _maybe_navigation(page, timeout):
                    await loc.select_option(value=text, timeout=timeout)  # the option whose value or label it is

            return await act(page, target, scope, timeout, select), None
        case ast.Press(key=key, target=target):
            name = interpolate(key, scope)
            resolved = None
            if target is None:
                await page.keyboard.press(name)
            else:
                resolved = await act(page, target, scope, timeout, lambda loc: loc.press(name, timeout=timeout))
            await loaded(page)
            return resolved, None
        case (
            ast.Check(target=target)
            | ast.Uncheck(target=target)
            | ast.Hover(target=target)
            | ast.ScrollTo(target=target)
        ):
            method = "scroll_into_view_if_needed" if action.op == "scroll_to" else action.op  # check, uncheck, hover
            return await act(page, target, scope, timeout, lambda loc: getattr(loc, method)(timeout=timeout)), None
        case ast.Scroll(direction=direction, amount=amount):
            height = (page.viewport_size or {"height": 900})["height"]
            await page.mouse.wheel(0, (amount or 1) * height * (1 if direction == "down" else -1))
            return None, None
        case ast.Wait(seconds=seconds):
            await asyncio.sleep(min(float(seconds), MAX_WAIT_SECONDS))
            return None, None
        case ast.WaitFor(target=target) | ast.AssertVisible(target=target):
            loc, resolved = await resolve(page, target, scope, timeout)
            if resolved.visible:  # seen so when it was resolved: no second round trip
                return resolved, None
            try:
                await loc.wait_for(state="visible", timeout=timeout)
            except Exception:
                raise ActionFailed(f"`{resolved.name or resolved.tag}` is on the page but not visible") from None
            return resolved, None
        case ast.Back() | ast.Forward():
            await (page.go_back() if action.op == "back" else page.go_forward())
            return None, None
        case ast.TabOpen(url=url):
            new = await session.open_tab()
            if url is not None:
                await _navigate(session, new, str(evaluate(url, scope)))
            return None, None
        case ast.TabSwitch(index=index):
            try:
                await session.switch_tab(index)
            except ValueError as err:
                raise ActionFailed(str(err)) from None
            return None, None
        case ast.TabClose():
            try:
                await session.close_tab()
            except ValueError as err:
                raise ActionFailed(str(err)) from None
            return None, None
        case ast.Extract(target=target, as_type=as_type):
            return await _extract(page, target, as_type, scope, timeout)
        case ast.Assert(condition=condition):
            if evaluate(condition, scope) is not True:
                raise ActionFailed("the assertion does not hold")
            return None, None
        case ast.Answer(value=value):
            return None, evaluate(value, scope)
    raise ActionFailed(f"no executor for action {action.op}")


async def _extract(
    page: Any, target: ast.Target, as_type: Any, scope: Mapping[str, Any], timeout: float
) -> tuple[Resolved | None, Any]:
    if isinstance(as_type, ast.ListType):
        loc = locator_for(page, target, scope)
        try:
            await loc.first.wait_for(state="attached", timeout=timeout)
        except Exception:
            return None, []
        texts = await loc.all_inner_texts()
        return None, [page_value(" ".join(t.split()), as_type.item) for t in texts]
    is_url = isinstance(as_type, ast.ScalarType) and as_type.name == "url"
    _, resolved = await resolve(page, target, scope, timeout, read="href" if is_url else "text")
    if is_url:
        return resolved, urljoin(page.url, resolved.content or "")
    return resolved, page_value(" ".join((resolved.content or "").split()), as_type)
