"""MiniWoB++ for `planact bench`: serve the task pages and run their episodes in a Playwright page.

The task pages come from the PyPI package ``miniwob`` (``pip install --no-deps miniwob``: only its
``html`` folder is used; its Python modules need gymnasium and selenium, which planact does not).
:func:`serve_miniwob` serves that folder over http on 127.0.0.1, so every task works (the flight
sites refuse ``file://``); a task lives at ``{url}/miniwob/{task}.html``.

An episode follows the package's own environment: load the page (its ``core`` shows a cover,
``#sync-task-cover``), seed the page's random generator with ``Math.seedrandom(seed)``, set the data
mode, call ``core.startEpisodeReal()`` (which generates the problem and starts the episode timer)
and wait for ``WOB_TASK_READY``; the instruction is ``core.getUtterance()``.  The page itself judges
the episode: ``WOB_DONE_GLOBAL`` turns true, ``WOB_RAW_REWARD_GLOBAL`` holds the task's reward
(1 solved, -1 failed, partial credit in some tasks), ``WOB_REWARD_GLOBAL`` the same scaled down by
the time taken, and ``WOB_REWARD_REASON`` a reason where the task gives one (``"timed out"`` when
the timer ran out).  ``core.endEpisode(0)`` stops an episode that is still running.

Time limit: each task keeps its own (``core.EPISODE_MAX_TIME``: 10 s by default, 7 to 30 s where the
task sets it), as the package does; ``time_limit_s`` of :func:`start_episode` lengthens it for slow
machines, at the price of comparability.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

INSTALL_HINT = "pip install --no-deps miniwob"
PLAN_SITE_URL = "http://127.0.0.1:8765"  # the site plans/miniwob declare; a run points it at the live server
LOAD_TIMEOUT_S = 15.0  # loading a task page and its scripts
READY_TIMEOUT_S = 5.0  # a task that builds its problem asynchronously (WOB_TASK_READY)


class MiniwobError(RuntimeError):
    """MiniWoB++ is missing, a task is unknown, or an episode could not be started; the message says what to do."""


# ------------------------------------------------------------------ the task pages


def miniwob_root() -> Path:
    """The ``html`` folder of the installed ``miniwob`` package (holding ``miniwob/``, ``core/``, ``common/``, ``flight/``).

    Found without importing the package, whose modules need gymnasium and selenium.
    """
    spec = importlib.util.find_spec("miniwob")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        html = Path(location) / "html"
        if (html / "miniwob").is_dir() and (html / "core" / "core.js").is_file():
            return html
    where = f" (found at {locations[0]}, but without its html folder)" if locations else ""
    raise MiniwobError(f"the MiniWoB++ task pages are not installed{where}: run `{INSTALL_HINT}`")


def task_names() -> list[str]:
    """The MiniWoB++ tasks, sorted: one per page of ``html/miniwob`` (``click-button``, ...)."""
    return sorted(p.stem for p in (miniwob_root() / "miniwob").glob("*.html"))


def task_url(base_url: str, task: str) -> str:
    """Where the server at ``base_url`` serves ``task``."""
    return f"{base_url.rstrip('/')}/miniwob/{task}.html"


# ------------------------------------------------------------------ the server


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def guess_type(self, path: Any) -> str:
        """The task pages are UTF-8 and say so nowhere (no ``<meta charset>``): without a charset in the
        header Chromium reads them as windows-1252 and ``♥♥♥`` on a button (unicode-test) shows as ``â™¥â™¥â™¥``."""
        kind = super().guess_type(path)
        return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else kind


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that drops a connection (a page closed mid-load) is no error; anything else is reported."""
        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipeError, ConnectionResetError, ...
            return
        super().handle_error(request, client_address)


@dataclass(frozen=True)
class MiniwobServer:
    """A running MiniWoB++ server: ``url`` is its origin, ``task_url(task)`` the page of one task."""

    url: str
    root: Path

    def task_url(self, task: str) -> str:
        """The page of ``task`` on this server."""
        return task_url(self.url, task)


@contextlib.contextmanager
def serve_miniwob(port: int = 0) -> Iterator[MiniwobServer]:
    """Serve the MiniWoB++ html folder on 127.0.0.1 (``port=0``: any free port) for the duration of the block."""
    root = miniwob_root()
    server = _QuietServer(("127.0.0.1", port), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="miniwob-server", daemon=True)
    thread.start()
    try:
        yield MiniwobServer(f"http://127.0.0.1:{server.server_address[1]}", root)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------ episodes

_CORE_LOADED = "() => typeof core !== 'undefined' && typeof genProblem === 'function' && !!document.getElementById('sync-task-cover')"
_TASK_READY = "() => typeof WOB_TASK_READY === 'undefined' || WOB_TASK_READY === true"
_START = """([seed, mode, limitMs]) => {
    Math.seedrandom(seed);
    core.setDataMode(mode);
    if (limitMs !== null) core.EPISODE_MAX_TIME = limitMs;
    core.startEpisodeReal();
}"""
_UTTERANCE = "() => { const u = core.getUtterance(); return typeof u === 'string' ? u : (u && u.utterance) || ''; }"
_OUTCOME = """() => ({done: WOB_DONE_GLOBAL === true, reward: Number(WOB_REWARD_GLOBAL) || 0,
    raw: Number(WOB_RAW_REWARD_GLOBAL) || 0,
    reason: WOB_REWARD_REASON === null || WOB_REWARD_REASON === undefined ? null : String(WOB_REWARD_REASON)})"""


async def start_episode(
    page: Any,
    base_url: str,
    task: str,
    seed: int,
    reuse: bool = False,
    *,
    mode: str = "train",
    time_limit_s: float | None = None,
) -> str:
    """Start an episode of ``task`` seeded with ``seed`` and return its instruction (the utterance).

    The page loads the task first, unless ``reuse`` is set and it shows that task already: then the
    running episode (if any) is stopped and the problem regenerated in place, which is much faster
    and gives the same problem for the same seed.  ``mode`` is the package's data mode (``train``,
    its default; ``test`` changes a few ``-transfer`` and ``-nl`` tasks); ``time_limit_s`` replaces
    the task's own time limit.  Every wait is bounded; :class:`MiniwobError` says what went wrong.
    """
    url = task_url(base_url, task)
    limit_ms = None if time_limit_s is None else round(time_limit_s * 1000)
    if reuse and page.url.split("?")[0].split("#")[0] == url and await _core_loaded(page):
        try:
            await end_episode(page)
            return await _begin(page, task, seed, mode, limit_ms)
        except MiniwobError:
            pass  # the task did not restart in place: load it afresh
    try:
        await page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_S * 1000)
        await page.wait_for_function(_CORE_LOADED, timeout=LOAD_TIMEOUT_S * 1000)
    except Exception as err:
        if task not in task_names():
            raise MiniwobError(f"no MiniWoB++ task {task!r} (see task_names())") from None
        raise MiniwobError(f"{url} did not load: {_short(err)}") from None
    return await _begin(page, task, seed, mode, limit_ms)


async def _core_loaded(page: Any) -> bool:
    try:
        return bool(await page.evaluate(_CORE_LOADED))
    except Exception:  # a page mid-navigation or closed
        return False


async def _begin(page: Any, task: str, seed: int, mode: str, limit_ms: int | None) -> str:
    try:
        await page.evaluate(_START, [seed, mode, limit_ms])
        await page.wait_for_function(_TASK_READY, timeout=READY_TIMEOUT_S * 1000)
        return " ".join(str(await page.evaluate(_UTTERANCE)).split())
    except Exception as err:
        raise MiniwobError(f"episode of {task} (seed {seed}) did not start: {_short(err)}") from None


@dataclass(frozen=True)
class Outcome:
    """How an episode stands: ``raw_reward`` is the task's own score (1 solved), ``reward`` the same scaled by time."""

    done: bool
    reward: float
    raw_reward: float
    reason: str | None

    @property
    def success(self) -> bool:
        """The task judged the episode solved (full raw reward)."""
        return self.done and self.raw_reward >= 1.0


async def episode_outcome(page: Any, wait_s: float = 2.0) -> Outcome:
    """The episode's outcome, after waiting up to ``wait_s`` for it to finish (a task may judge after a delay)."""
    if wait_s > 0:
        with contextlib.suppress(Exception):  # still running after the wait: reported as not done
            await page.wait_for_function("() => WOB_DONE_GLOBAL === true", timeout=wait_s * 1000)
    try:
        state = await page.evaluate(_OUTCOME)
    except Exception as err:  # the plan navigated away from the task page
        return Outcome(False, 0.0, 0.0, f"no task page to judge: {_short(err)}")
    return Outcome(state["done"], float(state["reward"]), float(state["raw"]), state["reason"])


async def end_episode(page: Any) -> None:
    """Stop the running episode (reward 0, as the package's reset does); nothing happens when none is running."""
    with contextlib.suppress(Exception):
        await page.evaluate("() => { if (typeof core !== 'undefined') core.endEpisode(0); }")


def _short(err: Exception) -> str:
    return " ".join(str(err).split("Call log:")[0].split())[:200]
