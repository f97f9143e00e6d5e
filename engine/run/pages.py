"""Page recording (``Executor(..., pages=True)``, what `planact record` asks for): the page as the
executor model sees it, before the run's first action and after each action, in ``pages.jsonl``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..browser.observe import observe
from . import events
from .lifecycle import Lifecycle

if TYPE_CHECKING:
    from ..syntax import ast
    from .executor import Executor


class PageRecorder(Lifecycle):
    def __init__(self) -> None:
        self.actions_seen = 0

    async def before_action(self, run: Executor, step_id: str, action: ast.Action) -> None:
        if self.actions_seen == 0:
            await self._record(run, None)

    async def after_action(self, run: Executor, step_id: str, action: ast.Action, done: Any) -> None:
        self.actions_seen += 1
        await self._record(run, step_id)

    async def _record(self, run: Executor, step_id: str | None) -> None:
        try:
            seen = (await observe(run.session.page)).masked(run.options.secrets)
        except Exception as err:  # a page closing under us: the trajectory notes it, the run goes on
            run.emit(events.Warning_(step=step_id, message=f"no page observation: {err}"))
            return
        run.record.write_page(
            {
                "after_action": self.actions_seen,
                "step": step_id,
                "url": seen.url,
                "title": seen.title,
                "tree": seen.tree,
            }
        )
