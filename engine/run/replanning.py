"""Replanning (`planact exec --replan on-failure|every-step|after-reads`): the planner model revises the
live plan during a run, after a failed step, after every batch of steps while steps are left, or (after-reads)
after a failed step and after a batch in which a step read something (an extract's value: what the run
learnt that the plan could not know).

:class:`Replanner` is a hook of the run's lifecycle (``lifecycle.py``): the executor installs it when
the run replans, and asks it (``revise``) after each batch.  It shows the planner the live plan (each
step's status, outputs and errors, ``planner.py``) and the page of the branch that just moved, at most
``max_replans`` times a run, and answers the planner's revision; the executor patches it into the
graph.  When there is none to answer, the record says why (``plan_kept``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..browser.observe import observe
from ..models.base import ModelError
from . import events
from .lifecycle import Lifecycle, Revision
from .modes import REVISING
from .planner import Planner, Rejected

if TYPE_CHECKING:
    from .executor import Executor


class Replanner(Lifecycle):
    def __init__(self, planner: Planner, mode: str, max_replans: int) -> None:
        self.planner = planner
        self.mode = mode  # on-failure | every-step | after-reads
        self.max_replans = max_replans
        self.asked = 0  # planner calls made (each may take several answers)

    async def revise(self, run: Executor, steps: list[str], error: str | None) -> Revision | None:
        if error is None and (self.mode not in REVISING or not _left(run)):  # nothing left to revise once all ran
            return None
        if error is None and self.mode == "after-reads" and not set(steps) & set(run.step_outputs()):
            return None  # no step of the batch read anything
        if self.asked >= self.max_replans:
            return None
        self.asked += 1
        after = steps[-1]
        live = run.live()
        seen = (await observe(run.page_after(after))).masked(run.options.secrets)
        event = f"The step failed. {error}" if error is not None else f"Step {', '.join(steps)} finished."
        try:
            revised = await self.planner.revise(live, event, seen)
        except (Rejected, ModelError) as err:
            run.emit(events.PlanKept(after=after, reason=f"no usable revision: {err}"))
            return None
        if revised is None:
            run.emit(events.PlanKept(after=after, reason="the planner kept the plan"))
            return None
        plan, reasoning = revised
        return Revision(plan, reasoning)


def _left(run: Executor) -> bool:
    return any(run.graph.status(n) == "pending" for n in run.graph.ids())
