"""A browser session for one run: Chromium, one context, tabs, and the origin guard.

Navigation (typed, redirected or opened as a pop-up) to an origin that the plan does not declare is
blocked before any byte is sent to it, and recorded.  A session that launches its own browser (``planact
exec``) knows its origins when it starts, and its guard is the context's proxy setting: every request
goes to a proxy that refuses all connections, except requests to the declared origins, which bypass it.
Chromium applies that to each request of the context, each redirect hop and each pop-up included, so no
request waits for Python and the HTTP cache stays on.  A session in a browser someone else launched (a
benchmark's episode) is prepared by its caller, who signs in through the context's own requests (which
would go to that proxy too) and may add origins after it starts (which a proxy setting cannot follow):
its guard routes every request through Python instead, and fetches navigations itself to vet their
redirects.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..lang.origins import origin_of
from . import SCREENSHOT_SCALE, VIEWPORT
from .internal import untraced
from .launch import BrowserChoice, find_browser
from .targets import install_describer

LANE: contextvars.ContextVar[Any] = contextvars.ContextVar("planact_lane_page", default=None)


@dataclass
class SessionOptions:
    """How to run the browser: which one, headless or not, the allowed origins, the bounded waits."""

    browser: str | None = None
    headless: bool = True
    allowed_origins: frozenset[str] = frozenset()
    timeout_ms: float = 5000
    navigation_timeout_ms: float = 15000
    trace_path: str | None = None  # where the Playwright trace goes (None: no trace)
    trace: str = "full"  # full: DOM snapshots and network too; actions: the calls and their timings only
    screenshots: bool = True  # a JPEG of the page after each step, in the run record
    screenshot_scale: float = SCREENSHOT_SCALE  # their size as a fraction of the viewport's (1: full size)
    secrets: tuple[str, ...] = ()  # values scrubbed from the trace


@dataclass
class BrowserSession:
    """Chromium, one context and its tabs; :meth:`start` and :meth:`close` bracket a run.

    With ``shared`` (a Playwright browser someone else launched, as the benchmark runner does for
    concurrent episodes) the session is one context of that browser, and closing it leaves the
    browser running.
    """

    options: SessionOptions
    shared: Any = None
    choice: BrowserChoice | None = None
    blocked: list[str] = field(default_factory=list)
    tabs: list[Any] = field(default_factory=list)
    current: int = 0
    _opening_lanes: int = 0
    _cdp: dict[Any, asyncio.Future[Any]] = field(default_factory=dict)  # page -> its DevTools session, on its way
    _playwright: Any = None
    _refuser: socket.socket | None = None
    _browser: Any = None
    context: Any = None

    async def start(self) -> BrowserSession:
        from playwright.async_api import async_playwright

        if self.shared is not None:
            browser = self.shared
        else:
            self.choice = find_browser(self.options.browser)
            self._playwright = await async_playwright().start()
            await install_describer(self._playwright)
            browser = self._browser = await self._playwright.chromium.launch(
                executable_path=self.choice.executable, headless=self.options.headless, args=list(self.choice.args)
            )
        if self.shared is None:  # the origins are known now and stay: the proxy guard
            self._refuser = refusing_port()
            refuser = f"http://127.0.0.1:{self._refuser.getsockname()[1]}"
            bypass = ",".join(["<-loopback>", *sorted(bypass_rule(o) for o in self.options.allowed_origins)])
            self.context = await browser.new_context(viewport=VIEWPORT, proxy={"server": refuser, "bypass": bypass})
            self.context.on("requestfailed", self._on_failed)
        else:  # a caller prepares the context (signs in through its requests) and may add origins: the routed guard
            self.context = await browser.new_context(viewport=VIEWPORT)
            await untraced(self.context, lambda: self.context.route("**/*", self._guard))
        self.context.set_default_timeout(self.options.timeout_ms)
        self.context.set_default_navigation_timeout(self.options.navigation_timeout_ms)
        if self.options.trace_path:
            # no screencast: the per-step screenshots are in the record already
            await self.context.tracing.start(screenshots=False, snapshots=self.options.trace == "full")
        self.context.on("page", self._on_page)
        page = await self.context.new_page()
        self._open_devtools(page)  # ready by the first screenshot
        return self

    async def open_lane(self, url: str | None = None, at: Any = None) -> Any:
        """A page of its own for a branch of steps (not a tab of the plan), at ``url``, or else at the address
        of the page ``at`` (None: the current page)."""
        if url is None:
            source = at if at is not None and not at.is_closed() else self.page
            url = source.url
        self._opening_lanes += 1
        try:
            lane = await self.context.new_page()
        finally:
            self._opening_lanes -= 1
        if url.startswith("http"):
            await lane.goto(url)
        return lane

    def adopt_tab(self, page: Any) -> None:
        """A page the site opened (a link to a new tab) becomes a tab of the plan's, and the current one."""
        self._on_page(page)
        self.current = self.tabs.index(page)

    async def open_tab(self) -> Any:
        """A new blank tab of the plan's, made the current one."""
        page = await self.context.new_page()
        self.adopt_tab(page)
        return page

    async def switch_tab(self, index: int) -> None:
        """Make tab ``index`` (0: the first) the current one; ValueError if there is none."""
        if not 0 <= index < len(self.tabs):
            raise ValueError(f"there is no tab {index} (tabs open: {len(self.tabs)})")
        self.current = index
        await self.page.bring_to_front()

    async def close_tab(self) -> None:
        """Close the current tab; the one before it becomes current.  ValueError for the last tab."""
        if len(self.tabs) == 1:
            raise ValueError("cannot close the last tab")
        closing = self.tabs.pop(self.current)
        await closing.close()
        self.current = max(0, self.current - 1)

    def _on_page(self, page: Any) -> None:
        if self._opening_lanes:
            return
        if page not in self.tabs:
            self.tabs.append(page)
            self.current = len(self.tabs) - 1

    async def _guard(self, route: Any) -> None:
        """The routed guard: abort requests to undeclared origins; fetch navigations ourselves to vet their
        redirects (a route sees no redirect hop).  Its calls are planact's, not the plan's: untraced."""
        await untraced(route, lambda: self._vet(route))

    async def _vet(self, route: Any) -> None:
        request = route.request
        origin = origin_of(request.url)
        if origin is not None and origin not in self.options.allowed_origins:
            if request.is_navigation_request():
                self.blocked.append(request.url)
            await route.abort("blockedbyclient")
            return
        if origin is None or not request.is_navigation_request():
            await route.continue_()
            return
        try:
            response = await route.fetch(max_redirects=0)
        except Exception:
            await route.abort("failed")
            return
        location = response.headers.get("location")
        if 300 <= response.status < 400 and location:
            target = urljoin(request.url, location)
            if origin_of(target) not in self.options.allowed_origins:
                self.blocked.append(target)
                await route.abort("blockedbyclient")
                return
        await route.fulfill(response=response)

    def _on_failed(self, request: Any) -> None:
        """Record a navigation that the guard refused (a request to an undeclared origin that failed)."""
        origin = origin_of(request.url)
        if origin is None or origin in self.options.allowed_origins or not request.is_navigation_request():
            return
        if not self.blocked or self.blocked[-1] != request.url:  # a pop-up's navigation fails twice
            self.blocked.append(request.url)

    async def devtools(self, page: Any) -> Any:
        """The page's own DevTools session (made once per page)."""
        return await (self._cdp.get(page) or self._open_devtools(page))

    def _open_devtools(self, page: Any) -> asyncio.Future[Any]:
        opening = self._cdp[page] = asyncio.ensure_future(untraced(page, lambda: self.context.new_cdp_session(page)))
        opening.add_done_callback(lambda f: f.cancelled() or f.exception())  # a page closed first: nobody asks
        return opening

    async def screenshot(self, path: str, page: Any = None) -> None:
        """A JPEG of the page (the current one by default) at :attr:`SessionOptions.screenshot_scale`, through the
        page's own DevTools session: three times faster than Playwright's screenshot, which matters as the executor
        takes one after every step.

        With the page's DevTools session made already, the request is sent before this coroutine first
        waits, so a caller that starts it as a task and yields once has it on its way ahead of anything it
        sends afterwards.
        """
        page = page if page is not None else self.page
        cdp = await self.devtools(page)
        params: dict[str, Any] = {"format": "jpeg", "quality": 60, "optimizeForSpeed": True}
        scale = self.options.screenshot_scale
        if scale < 1:  # at quality 75 smaller text stays legible (half size: 18 KB a page, 49 KB at full size)
            size = page.viewport_size or VIEWPORT
            params.update(
                quality=75, clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": scale}
            )
        shot = await untraced(cdp, lambda: cdp.send("Page.captureScreenshot", params))
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    @property
    def page(self) -> Any:
        """The page actions act on: the step's own lane when steps run in parallel, else the current tab."""
        lane = LANE.get()
        return lane if lane is not None else self.tabs[self.current]

    async def close(self) -> None:
        try:
            if self.context is not None and self.options.trace_path:
                await self.context.tracing.stop(path=self.options.trace_path)
                scrub_trace(self.options.trace_path, self.options.secrets)
        finally:
            if self.shared is not None and self.context is not None:
                await self.context.close()
            if self._browser is not None:
                await self._browser.close()
            if self._playwright is not None:
                await self._playwright.stop()
            if self._refuser is not None:
                self._refuser.close()


def refusing_port() -> socket.socket:
    """A TCP port on 127.0.0.1 that refuses every connection: bound, so nothing else can take it, and not
    listening.  The guard's proxy; keep the socket open while the browser may use it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def bypass_rule(origin: str) -> str:
    """Chromium's proxy-bypass rule for exactly ``origin`` (scheme, host and port; a rule without a port
    would match every port of the host)."""
    parts = urlsplit(origin)
    port = parts.port or {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def scrub_trace(path: str, secrets: tuple[str, ...]) -> int:
    """Rewrite a Playwright trace archive with every secret replaced by ``***``; returns the number replaced.

    Every member is scrubbed — the action and snapshot log (``trace.trace``: call parameters, DOM snapshots),
    the network log (``trace.network``: URLs, headers, post data) and ``resources/`` (response and request
    bodies, snapshot resources) — for each encoding a :class:`~planact.scrub.Scrubber` knows (raw,
    URL-encoded, HTML-escaped, JSON-escaped, and each of them inside another).  The archive is rewritten
    only when something was found.
    """
    import os
    import zipfile

    from ..scrub import Scrubber

    scrubber = Scrubber(secrets)
    if not scrubber or not os.path.exists(path):
        return 0
    replaced = 0
    tmp = path + ".tmp"
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data, found = scrubber.bytes(src.read(info))
                replaced += found
                dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        if replaced:
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return replaced
