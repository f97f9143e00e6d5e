"""Targets → Playwright locators, strictly: a target must match exactly one element.

Semantic locators first (ARIA role + accessible name, label, placeholder, text,
test id), CSS as a fallback, ``ref`` for an element of an observation; ``first``,
``last`` and ``nth N`` pick among several matches and ``within`` scopes the
search.  Every resolution is bounded by a timeout and returns a
:class:`Resolved` fingerprint of the element so a replay can notice drift.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..lang.evaluate import interpolate
from ..syntax import ast
from ..syntax.format import format_target
from .internal import untraced

REF_ATTRIBUTE = "data-planact-ref"


EXPECTED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("planact_expected_target", default=None)


DESCRIBED_CHARS = 80  # a described element's name and text keep this many characters, spaces collapsed


class TargetError(Exception):
    """A target matched no element or more than one; the message names the target."""


@dataclass(frozen=True)
class Resolved:
    """What a target resolved to: enough to recognise the element again.

    Read in the same round trip, and not part of the record: whether the element opens a new tab, whether it
    is visible, and its full content (a form field's value, a link's ``href``, or the element's text) when
    the caller asked for it.
    """

    role: str | None
    name: str
    tag: str
    text: str
    fingerprint: str
    blank: bool = field(default=False, compare=False)
    visible: bool = field(default=False, compare=False)
    content: str | None = field(default=None, compare=False, repr=False)
    ref: str | None = field(default=None, compare=False)  # the element's reference in page observations, if seen

    def as_dict(self) -> dict[str, Any]:
        described = {
            "role": self.role,
            "name": self.name,
            "tag": self.tag,
            "text": self.text,
            "fingerprint": self.fingerprint,
        }
        return described if self.ref is None else {**described, "ref": self.ref}


def locator_for(scope: Any, target: ast.Target, variables: Mapping[str, Any]) -> Any:
    """The Playwright locator of ``target`` under ``scope`` (a Page or a Locator), without waiting."""
    if target.within is not None:  # an unpicked scope searches inside all of its matches
        scope = _pick(locator_for(scope, target.within, variables), target.within)
    name = interpolate(target.name, variables) if target.name is not None else None
    kind = target.kind
    if kind in ast.ROLE_KINDS:
        loc = scope.get_by_role(kind, name=name, exact=True) if name is not None else scope.get_by_role(kind)
    elif kind == "label":
        loc = scope.get_by_label(name or "", exact=True)
    elif kind == "placeholder":
        loc = scope.get_by_placeholder(name or "", exact=True)
    elif kind == "text":  # what the page shows: a hidden element with the text is not a second match
        loc = scope.get_by_text(name or "", exact=False).filter(visible=True)
    elif kind == "testid":
        loc = scope.get_by_test_id(name or "")
    elif kind == "css":
        loc = scope.locator(name or "*")
    elif kind == "ref":
        loc = scope.locator(f'[{REF_ATTRIBUTE}="{name}"]')
    else:  # the grammar admits no other kind
        raise TargetError(f"unknown target kind {kind!r}")
    return loc


def _pick(loc: Any, target: ast.Target) -> Any:
    if target.pick == "first":
        return loc.first
    if target.pick == "last":
        return loc.last
    if target.pick == "nth":
        return loc.nth(target.index or 0)
    return loc


async def resolve(
    page: Any, target: ast.Target, variables: Mapping[str, Any], timeout_ms: float, read: str | None = None
) -> tuple[Any, Resolved]:
    """Wait (at most ``timeout_ms``) for the target, require a single match, and fingerprint it.

    ``read``: ``"text"`` (a form field's value, else the text) or ``"href"`` puts that into
    :attr:`Resolved.content`, read in the same round trip.
    """
    described = format_target(target)
    loc = locator_for(page, target, variables)
    info = await _describe(loc, target, described, timeout_ms, read)
    resolved = _resolved(info)
    expected = EXPECTED.get()
    if expected is not None and (expected.get("role"), expected.get("name"), expected.get("tag")) != (
        resolved.role,
        resolved.name,
        resolved.tag,
    ):
        was = f'{expected.get("role") or expected.get("tag")} "{expected.get("name")}"'
        now = f'{resolved.role or resolved.tag} "{resolved.name}"'
        raise TargetError(f"the page drifted: `{described}` now resolves to {now}, but to {was} in the recorded run")
    return _pick(loc, target), resolved


# how long an action that finished first waits for its target's description when the element it acted on can
# no longer be recalled (the action took the page it was on away)
LATE_DESCRIPTION_S = 0.5
_ACTED = itertools.count()  # tells the actions of a process apart where their element is noted


async def act(
    page: Any,
    target: ast.Target,
    variables: Mapping[str, Any],
    timeout_ms: float,
    do: Callable[[Any], Awaitable[Any]],
) -> Resolved | None:
    """Do ``do(locator)`` to the one element ``target`` means, and describe that element.

    The description is asked for just before the action, and the action is not held back for it: the
    element is read in one evaluation while the action still waits for it to be visible, stable and
    enabled (a frame or more), so describing costs no round trip of its own.  Playwright's actions are
    strict like :func:`resolve`, and a target that matches several elements or none fails with
    :func:`resolve`'s message.  A replay that checks targets against a recorded run (:data:`EXPECTED`)
    resolves first and acts after.

    When the element comes only while both wait for it, the two look for it on their own schedules, and
    the action can find it first and change it (a click that renames its button) before the description
    looks again.  So the action notes the element it acts on, in the same evaluation that finds it
    (:func:`_noting`), and an action that finishes before its description is described from that note.
    ``None``: the action took the page away before its element could be described either way.
    """
    if EXPECTED.get() is not None:
        loc, resolved = await resolve(page, target, variables, timeout_ms)
        await do(loc)
        return resolved
    loc = locator_for(page, target, variables)
    acted = next(_ACTED)
    # the action is traced; its description is planact's bookkeeping (in the event log), kept out of the trace
    describing = asyncio.ensure_future(_describe(loc, target, format_target(target), timeout_ms, None, traced=False))
    acting = asyncio.ensure_future(_noting(_pick(loc, target), acted, do))
    for task in (describing, acting):  # an outcome nobody reads (a run given up on) is not an error to report
        task.add_done_callback(lambda f: f.cancelled() or f.exception())
    await asyncio.wait([describing, acting], return_when=asyncio.FIRST_COMPLETED)
    try:
        await acting
    except Exception:
        await asyncio.wait([describing], timeout=LATE_DESCRIPTION_S)
        failed = describing.exception() if describing.done() else None
        if isinstance(failed, TargetError):  # no match, or several: said in planact's words
            raise failed from None
        raise
    if not describing.done():
        noted = await _noted(page, acted)
        if noted is not None:
            return _resolved(noted)
        await asyncio.wait([describing], timeout=LATE_DESCRIPTION_S)
    if not describing.done() or describing.exception() is not None:
        return None
    return _resolved(describing.result())


async def _noting(picked: Any, acted: int, do: Callable[[Any], Awaitable[Any]]) -> Any:
    """``do`` to the element ``picked`` means, noting that element's description, each time the action finds
    it, under ``acted`` in the page's isolated world (:func:`_noted` reads it back).

    A Playwright without planact's selector engine refuses the selector before anything is done, and the
    action is then done plainly.
    """
    try:
        return await do(picked.locator(f"{DESCRIBER}=note:{acted}"))
    except Exception as err:
        if not _unregistered(err):
            raise
    return await do(picked)


async def _noted(page: Any, acted: int) -> dict[str, Any] | None:
    """The description an action noted of the element it acted on; ``None`` when the page it was on is gone."""
    recall = page.locator(f"{DESCRIBER}=recall:{acted}")
    try:
        text = await untraced(recall, lambda: recall.text_content(timeout=1000))
        return json.loads(text or "null")
    except Exception:  # the action navigated, or closed its page
        return None


def _unregistered(err: Exception) -> bool:
    """Whether ``err`` says that planact's selector engine is not registered with this Playwright."""
    message = str(err)
    return f'"{DESCRIBER}"' in message and "engine" in message


# The description of an element, written by a selector engine that Playwright runs in its own isolated world
# (the one its actions use).  Reading it there costs one round trip, and the page's main world is never
# touched: a first evaluation in the main world makes Playwright install its script there too, once per
# document, which cost more than the action itself.  The engine answers each element it is given with a
# detached element whose text is the description, so a strict Playwright getter (``text_content``) waits
# for the target, counts its matches, and carries the description back in one call.
DESCRIBER = "planact-describe"
_DESCRIBE_ELEMENT = """(el, read) => {
    const box = el.getBoundingClientRect();
    const field = ['input', 'textarea', 'select'].includes(el.tagName.toLowerCase());
    const content = read === 'href' ? el.getAttribute('href') : read === 'text' ? (field ? el.value : el.innerText) : null;
    const path = []; for (let e = el; e && e.nodeType === 1; e = e.parentElement) { let i = 1; for (let s = e.previousElementSibling; s; s = s.previousElementSibling) if (s.tagName === e.tagName) i++; path.unshift(e.tagName.toLowerCase() + ':' + i); }
    return {
        tag: el.tagName.toLowerCase(),
        role: el.getAttribute('role') || null,
        name: el.getAttribute('aria-label') || (el.labels && el.labels[0] ? el.labels[0].innerText : '') || el.getAttribute('placeholder') || '',
        text: (el.innerText || el.value || '').trim().slice(0, 80),
        path: path.join('/'),
        blank: el.getAttribute('target') === '_blank',
        visible: box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden',
        content: content,
        ref: el.getAttribute('data-planact-ref'),
    };
}"""
#
# Two more uses of the engine, for actions (see :func:`act`): ``note:N`` matches the element itself, so that an
# action can act on it, and notes its description under N; ``recall:N``, from the page, reads that note back.
_ENGINE = (
    "{ queryAll(root, body) { const describe = " + _DESCRIBE_ELEMENT + ";"
    " const [use, acted] = body.split(':');"
    " if (use === 'note') { globalThis.__planactActed = [acted, JSON.stringify(describe(root, null))]; return [root]; }"
    " const out = document.createElement('planact-description'); const noted = globalThis.__planactActed;"
    " out.textContent = use !== 'recall' ? JSON.stringify(describe(root, use))"
    " : noted && noted[0] === acted ? noted[1] : 'null';"
    " return [out]; } }"
)
# without the engine (a browser from a Playwright that planact did not start): the same, in the main world
_DESCRIBE = (
    "(els, [index, read]) => { const describe = " + _DESCRIBE_ELEMENT + ";"
    " const el = els[index < 0 ? els.length + index : index];"
    " return [els.length, el ? describe(el, read) : null]; }"
)


async def install_describer(playwright: Any) -> None:
    """Register planact's describing selector engine with a Playwright instance, before it makes contexts."""
    try:
        await playwright.selectors.register(DESCRIBER, _ENGINE, content_script=True)
    except Exception as err:
        if "already registered" not in str(err):
            raise


async def _describe(
    loc: Any, target: ast.Target, described: str, timeout_ms: float, read: str | None, traced: bool = True
) -> dict[str, Any]:
    """What the one element meant by ``target`` is, waiting at most ``timeout_ms`` for it to be there.

    ``traced=False``: the call stays out of the Playwright trace (see :func:`untraced`).
    """
    describer = _pick(loc, target).locator(f"{DESCRIBER}={read or 'none'}")
    try:
        if traced:
            text = await describer.text_content(timeout=timeout_ms)
        else:
            text = await untraced(describer, lambda: describer.text_content(timeout=timeout_ms))
        return json.loads(text or "null") or {}
    except Exception as err:
        if _unregistered(err):
            return await _describe_in_main_world(loc, target, described, timeout_ms, read)
        many = re.search(r"resolved to (\d+) elements", str(err))
        if many:
            raise TargetError(ambiguous(int(many.group(1)), described)) from None
        if _timed_out(err):
            count = await _count(loc)
            raise TargetError(_too_few(count, described) if count else _missing(described, timeout_ms)) from None
        raise TargetError(_unsearchable(err, described)) from None


async def _count(loc: Any) -> int:
    try:
        return int(await loc.count())
    except Exception:  # a page that went away: nothing to count
        return 0


def _timed_out(err: Exception) -> bool:
    return "Timeout" in type(err).__name__ or "Timeout" in str(err)  # Playwright's TimeoutError and its messages


def ambiguous(count: int, described: str) -> str:
    """Why a target that finds ``count`` elements cannot be acted on (the executor model is shown it, and
    taught to answer it: planact.synth.examples)."""
    hint = "say which with `first`, `last` or `nth N`, or narrow it with `within`"
    return f"{count} elements match `{described}`; {hint}"


def _too_few(count: int, described: str) -> str:  # there are matches, but not the one picked
    return f"no element matches `{described}`: only {count} matches"


def _missing(described: str, timeout_ms: float) -> str:
    return f"no element matches `{described}` (waited {timeout_ms / 1000:g} s)"


def _unsearchable(err: Exception, described: str) -> str:
    return f"cannot look for `{described}`: {_short(err)}"


async def _describe_in_main_world(
    loc: Any, target: ast.Target, described: str, timeout_ms: float, read: str | None
) -> dict[str, Any]:
    index = {None: 0, "first": 0, "last": -1, "nth": target.index or 0}[target.pick]
    try:
        count, info = await loc.evaluate_all(_DESCRIBE, [index, read])
    except Exception:  # the execution context went away under a navigation: wait for the new page below
        count, info = 0, None
    if count == 0:
        try:
            await loc.first.wait_for(state="attached", timeout=timeout_ms)
        except Exception as err:
            raise TargetError(
                _missing(described, timeout_ms) if _timed_out(err) else _unsearchable(err, described)
            ) from None
        count, info = await loc.evaluate_all(_DESCRIBE, [index, read])
    if target.pick is None and count > 1:
        raise TargetError(ambiguous(count, described))
    if info is None:
        raise TargetError(_too_few(count, described))
    return info


def _resolved(info: dict[str, Any]) -> Resolved:
    role = info["role"] or _implicit_role(info["tag"])
    name = " ".join((info["name"] or info["text"]).split())[:DESCRIBED_CHARS]
    digest = hashlib.sha1(f"{role}|{name}|{info['tag']}|{info['path']}".encode()).hexdigest()[:12]
    return Resolved(
        role, name, info["tag"], " ".join(info["text"].split())[:DESCRIBED_CHARS], digest,
        bool(info.get("blank")), bool(info.get("visible")), info.get("content"), info.get("ref") or None,
    )  # fmt: skip


_IMPLICIT = {"a": "link", "button": "button", "select": "combobox", "textarea": "textbox", "h1": "heading", "h2": "heading", "h3": "heading", "table": "table", "tr": "row", "td": "cell", "li": "listitem", "ul": "list", "nav": "navigation", "form": "form", "img": "img"}  # fmt: skip


def _implicit_role(tag: str) -> str | None:
    return _IMPLICIT.get(tag)


def _short(err: Exception) -> str:
    return re.sub(r"\s+", " ", str(err).split("Call log:")[0]).strip()[:200]


# ------------------------------------------------------------------ stable targets

_INDEX_OF = """(els, ref) => els.findIndex(e => e.getAttribute('data-planact-ref') === ref)"""

_CSS_PATH = """el => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && e.tagName !== 'HTML'; e = e.parentElement) {
        if (e.id && document.querySelectorAll('#' + CSS.escape(e.id)).length === 1) { parts.unshift('#' + CSS.escape(e.id)); break; }
        let i = 1; for (let s = e.previousElementSibling; s; s = s.previousElementSibling) if (s.tagName === e.tagName) i++;
        parts.unshift(e.tagName.toLowerCase() + ':nth-of-type(' + i + ')');
    }
    return parts.join(' > ');
}"""


def _literal(text: str) -> ast.StringLit:
    return ast.StringLit.new(parts=(text,) if text else ())


async def stable_target(page: Any, target: ast.Target, described: Mapping[str, tuple[str, str]]) -> ast.Target:
    """A target that finds the same element on a later visit: ``ref "e12"`` becomes ``button "Buy"`` (or ``nth``).

    References name elements of one observation only; a grounded plan written
    back for replay needs semantic locators.  Candidates are tried in order —
    role and accessible name, label, placeholder, then a CSS path — and the
    first one that finds this very element is kept, with ``nth N`` when it
    matches several.  Targets without references come back unchanged.
    ``described`` maps references to the (role, name) the observation showed;
    call this before the action runs, while the element is still on the page.
    """
    if target.kind != "ref":
        if target.within is not None and _uses_ref(target.within):
            return target.model_copy(update={"within": await stable_target(page, target.within, described)})
        return target
    ref = "".join(p for p in target.name.parts if isinstance(p, str)) if target.name else ""
    element = page.locator(f'[{REF_ATTRIBUTE}="{ref}"]')
    role, name = described.get(ref, (None, ""))
    candidates: list[tuple[str, str]] = []
    if role in ast.ROLE_KINDS and name:
        candidates.append((role, name))
    if name:
        candidates += [("label", name), ("placeholder", name)]
    for kind, text in candidates:
        probe = ast.Target.new(kind=kind, name=_literal(text))
        try:
            index = await locator_for(page, probe, {}).evaluate_all(_INDEX_OF, ref)
            count = await locator_for(page, probe, {}).count()
        except Exception:  # a locator that cannot be evaluated here is simply not a candidate
            continue
        if index >= 0:
            return probe if count == 1 else probe.model_copy(update={"pick": "nth", "index": index})
    try:
        path = await element.first.evaluate(_CSS_PATH)
    except Exception:
        return target
    return ast.Target.new(kind="css", name=_literal(path))


def _uses_ref(target: ast.Target | None) -> bool:
    while target is not None:
        if target.kind == "ref":
            return True
        target = target.within
    return False
