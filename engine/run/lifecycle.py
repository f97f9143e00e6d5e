"""The points of a run where hooks are called: the executor walks the graph, hooks do the rest.

A hook is an object with :class:`Lifecycle`'s methods (a subclass overrides those it needs); the
executor calls each hook's method at its point, in the order the hooks were given.  Most points
only tell a hook what happened.  Three ask it for a decision, and there the first hook that answers
(anything but None, or True) decides and the hooks after it are not asked: :meth:`Lifecycle.grounds`
and :meth:`Lifecycle.ground_step` (who does a step its actions do not: the executor writes what the
hook did back into the step) and :meth:`Lifecycle.revise` (a revised plan after a batch of steps,
which the executor patches into its graph in place).  So the executor only schedules: it walks the
graph, fires the points and applies the answers.

The engine's own work is hooks too: the step checkpoints (``checkpoint.py``: screenshots and the
cookies a resumed run needs), the page recording of a trajectory (``pages.py``), the drift check
against a recorded run (``drift.py``), grounding with the executor model (``grounding.py``) and
replanning with the planner model (``replanning.py``).  A user's hook (``Executor(...,
lifecycle=[...])``) comes after them and sees what they see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..browser.actions import ActionResult
    from ..syntax import ast
    from .executor import Executor, RunResult
    from .grounding import Grounded


@dataclass
class Revision:
    """A hook's answer at :meth:`Lifecycle.revise`: the whole plan as it should be now, and why."""

    plan: ast.Plan
    reasoning: str | None = None


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

    def grounds(self, run: Executor, step: ast.Step) -> bool:
        """Whether the hook can do a step that has no actions (at :meth:`ground_step`).  Asked before the
        browser starts: a run with a step no hook can do is refused, so nothing runs ahead of it."""
        return False

    async def ground_step(
        self, run: Executor, step: ast.Step, scope: dict[str, Any], failure: str | None
    ) -> Grounded | None:
        """Do a step its actions do not: one with no actions of its own (``failure`` None), or a plain step one
        of whose written actions failed (``failure``: how; the actions before it ran).  The hook performs
        each action it chooses with :meth:`Executor.act` (which fires ``before_action`` and ``after_action``
        and logs it) and answers what it did; the executor writes those actions back into the step.  None:
        not this hook's to do (no hook answers: the step fails)."""
        return None

    async def after_step(self, run: Executor, step_id: str) -> None:
        """A step finished or was skipped (after its event), on the page it ran on."""

    async def on_step_failure(self, run: Executor, step_id: str, error: str) -> None:
        """A step failed (after its ``step_failed`` event); a hook may still revise the plan (:meth:`revise`)."""

    async def revise(self, run: Executor, steps: list[str], error: str | None) -> Revision | None:
        """A batch of steps ran, ``steps`` (after their ``after_step``), with the run not yet answered: the
        plan as it should go on, which the executor patches into its graph in place (steps that ran stay as
        they were), or None to keep it.  ``error``: how a step of the batch failed; the run then stops
        unless a revision is applied (the failed step is tried again, as revised or as it was)."""
        return None

    async def settle(self, run: Executor) -> None:
        """Wait for work still in flight: before a page closes, and before the run ends."""

    async def after_run(self, run: Executor, result: RunResult) -> None:
        """The run ended, succeeded or failed, before its browser closes."""
