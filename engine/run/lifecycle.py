"""The points of a run where hooks are called: the executor walks the graph, hooks do the rest.

A hook is an object with some of :class:`Lifecycle`'s methods; the executor calls each hook's
method at its point, in the order the hooks were given.  The engine's own bookkeeping is hooks
too: the step checkpoints (``checkpoint.py``: screenshots and the cookies a resumed run needs), the
page recording of a trajectory (``pages.py``) and the drift check against a recorded run
(``drift.py``).  A user's hook (``Executor(..., lifecycle=[...])``) sees what they see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..browser.actions import ActionResult
    from ..syntax import ast
    from .executor import Executor, RunResult


class Lifecycle:
    """Every hook point, each doing nothing: a hook overrides the ones it needs."""

    async def before_run(self, run: Executor) -> None:
        """The browser is up and the plan's steps are about to run (a resumed run's finished ones are marked)."""

    async def before_step(self, run: Executor, step_id: str) -> None:
        """A step starts (after its ``step_started`` event)."""

    async def before_action(self, run: Executor, step_id: str, action: ast.Action) -> None:
        """An action of a step, written in the plan or chosen by the executor model, is about to run."""

    def expected_target(self, run: Executor, step_id: str, index: int) -> dict[str, Any] | None:
        """The target the ``index``-th action of a step must resolve to (None: any), checked by the action."""
        return None

    async def after_action(self, run: Executor, step_id: str, action: ast.Action, done: ActionResult) -> None:
        """An action ran (after its ``action`` event)."""

    async def after_step(self, run: Executor, step_id: str) -> None:
        """A step finished or was skipped (after its event), on the page it ran on."""

    async def on_step_failure(self, run: Executor, step_id: str, error: str) -> None:
        """A step failed (after its ``step_failed`` event); the planner may still revise the plan."""

    async def settle(self, run: Executor) -> None:
        """Wait for work still in flight: before a page closes, and before the run ends."""

    async def after_run(self, run: Executor, result: RunResult) -> None:
        """The run ended, succeeded or failed, before its browser closes."""
