"""Step checkpoints: after each step, its screenshot and the cookies a resumed run starts from
(``browser-state.json``).

Both are asked for at once, ahead of the next step's first command, but not waited for: capturing and
encoding a frame takes longer than most actions, and the run needs neither to go on (:meth:`settle`
waits for them).  A step whose actions only read the page (extract, assert, answer; or none, as a
skipped step) leaves it as it was: its screenshot is a copy of the one before, and the saved cookies
stand.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..browser.internal import loaded, untraced
from ..syntax import ast
from . import events
from .lifecycle import Lifecycle
from .records import write_whole

if TYPE_CHECKING:
    from .executor import Executor


READS_ONLY = (ast.Extract, ast.Assert, ast.AssertVisible, ast.Answer)  # actions that leave the page as it was


class Checkpointer(Lifecycle):
    def __init__(self, state_file: Path) -> None:
        self.state_file = state_file
        self._pending: list[asyncio.Future[None]] = []  # screenshots and saved cookies on their way
        self._last_shot: dict[Any, tuple[asyncio.Future[None], Path]] = {}  # page -> its latest screenshot
        self._settled: set[Any] = set()  # pages no action has changed since their latest checkpoint
        self._saving: asyncio.Future[None] | None = None  # the latest cookies on their way

    async def after_action(self, run: Executor, step_id: str, action: ast.Action, done: Any) -> None:
        if not isinstance(action, READS_ONLY):
            self._settled.discard(run.session.page)

    async def after_step(self, run: Executor, step_id: str) -> None:
        page = run.session.page
        unchanged = page in self._settled  # the step only read the page: the same picture, and the same cookies
        self._settled.add(page)
        if run.options.screenshots:
            path = run.record.screenshot_path(step_id)
            if unchanged:
                shot = asyncio.ensure_future(self._same_picture(self._last_shot[page], path))
            else:
                await run.session.devtools(page)
                shot = asyncio.ensure_future(self._screenshot(run, step_id, page, path))
            self._last_shot[page] = (shot, path)
            self._pending.append(shot)
        if not unchanged or not self.state_file.exists():
            self._saving = asyncio.ensure_future(self._save_cookies(run, step_id, self._saving))
            self._pending.append(self._saving)
        await asyncio.sleep(0)  # the tasks send their requests now, before the next step sends anything

    async def settle(self, run: Executor) -> None:
        shots, self._pending = self._pending, []
        await asyncio.gather(*shots)

    async def _save_cookies(self, run: Executor, step_id: str, previous: asyncio.Future[None] | None) -> None:
        """Write the browser's cookies, whole, after the step before's."""
        try:
            context = run.session.context
            cookies = await untraced(context, lambda: context.cookies())  # the run's bookkeeping: not traced
        except Exception as err:  # a context closing under us: the cookies saved before stand
            run.emit(events.Warning_(step=step_id, message=f"cookies not saved: {err}"))
            cookies = None
        if previous is not None:
            await previous
        if cookies is not None:
            text = json.dumps({"cookies": run.record.scrub(cookies)})
            await asyncio.to_thread(write_whole, self.state_file, text)

    @staticmethod
    async def _same_picture(earlier: tuple[asyncio.Future[None], Path], path: Path) -> None:
        task, earlier_path = earlier
        await task
        if earlier_path.exists():
            await asyncio.to_thread(shutil.copyfile, earlier_path, path)

    async def _screenshot(self, run: Executor, step_id: str, page: Any, path: Path) -> None:
        for attempt in (1, 2):  # a navigation in flight can stall a screenshot: settle and try again
            try:
                if attempt == 2:
                    await loaded(page, run.options.navigation_timeout_ms)
                async with asyncio.timeout(10):  # not wait_for: its own task would send the request a turn later
                    await run.session.screenshot(str(path), page)
                return
            except Exception as err:  # a screenshot is a nicety, never a failure
                if attempt == 2 or page.is_closed():
                    run.emit(events.Warning_(step=step_id, message=f"no screenshot: {err}"))
                    return
