"""The browser episodes of `planact record` and `planact synth ground`, as jobs a backend runs.

:class:`RecordJob` runs a prepared plan with page recording; :class:`GroundJob` grounds a trajectory
into a plan with the teacher and replays it against its site.  :func:`run_items` runs a job's items in
this process (the local backend, one at a time) or hands them to a
:class:`~planact.harness.ray_backend.RayBackend`, whose workers each set the same job up once and run its
items one at a time (``parallel`` workers at once).  Either way every item's row comes back to the
caller, the driver, which alone writes the command's files.

A row has ``status`` ``ok``, ``error`` or ``timeout`` and its ``error``.  A job keeps an item's own
failures in its row; on Ray a worker that dies under an item makes that row an error, a new worker takes
its place and the rest go on; an item past its time is cancelled in its worker (a worker that does not
answer ``grace_s`` later is stopped).  The commands write no verdict for an ``error`` or ``timeout`` row:
the same command again runs that item again.

The other phases of `planact synth` (replans, expand, export, stats, and the grounding of
`synth generate`, which replays nothing: the page's reward stands for the replay) run no browser and stay
on the driver.
"""

from __future__ import annotations

import asyncio
import os
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..harness.ray_backend import Batch, ModelRecipe
from .ground import RecordedSteps, Teacher, grounded_plan
from .record import Recording, run_recording, start_recording
from .trajectory import Trajectory


def _failure(err: BaseException) -> str:
    """An exception in one line, as a row's error."""
    text = "".join(traceback.format_exception_only(type(err), err)).strip()
    return text.splitlines()[-1][:2000] if text else type(err).__name__


@dataclass
class RecordJob:
    """Run prepared plans with page recording; a plan's row names its run folder."""

    timeout_s: float = 600.0
    runs: Path | None = field(default=None, init=False, repr=False)

    @staticmethod
    def blank(index: int, source: str) -> dict[str, Any]:
        """A plan's row before it ran."""
        return {"index": index, "source": source, "status": "ok", "error": None, "record": None, "seconds": 0.0}

    def setup(self, out: Path) -> None:
        """Run folders go under ``out``."""
        self.runs = out

    def play(self, index: int, source: str, recording: Recording) -> dict[str, Any]:
        """Record one plan (cancelled after ``timeout_s``); its row."""
        assert self.runs is not None, "setup() first"
        from ..browser.launch import BrowserNotFound

        row = self.blank(index, source)
        started = time.perf_counter()
        try:
            record = start_recording(recording, self.runs)
            row["record"] = str(record.path)
            asyncio.run(asyncio.wait_for(run_recording(recording, record), self.timeout_s))
        except TimeoutError:
            row.update(status="timeout", error=f"timed out after {self.timeout_s:g} s")
        except BrowserNotFound as err:
            row.update(status="error", error=str(err))
        except Exception as err:  # the plan's crash is its own; the others go on
            row.update(status="error", error=_failure(err))
        row["seconds"] = round(time.perf_counter() - started, 2)
        return row

    def close(self) -> None:
        """Nothing to release: each plan's Chromium closes with its run."""


@dataclass
class TeacherRecipe:
    """A model teacher as what builds it where it runs (a worker): its model's recipe and its attempts."""

    model: ModelRecipe
    attempts: int = 3

    def build(self) -> Teacher:
        return Teacher(self.model.build(), attempts=self.attempts)


@dataclass
class GroundJob:
    """Ground trajectories with the teacher and replay the plans; a trajectory's row holds the verdict
    (:meth:`~planact.synth.ground.Grounding.line`) and the kept plan's text, for the driver to write."""

    teacher: Teacher | RecordedSteps | TeacherRecipe  # a recipe to build on each worker (a model is not sent)
    secrets: Mapping[str, str] = field(default_factory=dict)
    replay_mode: str = "auto"
    answers: str = "loose"
    timeout_s: float = 600.0
    built: Teacher | RecordedSteps | None = field(default=None, init=False, repr=False)

    @staticmethod
    def blank(traj: Trajectory) -> dict[str, Any]:
        """A trajectory's row before it ran."""
        return {"id": traj.id, "task": traj.task, "status": "ok", "error": None, "seconds": 0.0,
                "grounding": None, "plan": None}  # fmt: skip

    def setup(self, out: Path) -> None:
        """Build the teacher (a model loads once per worker)."""
        self.built = self.teacher.build() if isinstance(self.teacher, TeacherRecipe) else self.teacher

    def play(self, traj: Trajectory) -> dict[str, Any]:
        """Ground and replay one trajectory (the replay gets what is left of ``timeout_s``); its row."""
        assert self.built is not None, "setup() first"
        row = self.blank(traj)
        started = time.perf_counter()
        try:
            result, text = grounded_plan(
                traj, self.built, self.secrets, self.replay_mode, self.answers, time.monotonic() + self.timeout_s
            )
            row.update(grounding=result.line(), plan=text)
        except TimeoutError:
            row.update(status="timeout", error=f"timed out after {self.timeout_s:g} s (the teacher and the replay)")
        except Exception as err:
            row.update(status="error", error=_failure(err))
        row["seconds"] = round(time.perf_counter() - started, 2)
        return row

    def close(self) -> None:
        """Nothing to release: each replay's Chromium closes with its run."""


def run_items(
    job: Any,
    items: Iterable[Any],
    out: Path,
    deliver: Callable[[dict[str, Any]], None],
    *,
    backend: Any = None,
    parallel: int = 1,
    timeout_s: float,
    blank: Callable[[Any], dict[str, Any]],
    arguments: Callable[[Any], tuple[Any, ...]] = lambda item: tuple(item),
    on_start: Callable[[dict[str, Any]], None] = lambda row: None,
    label: Callable[[dict[str, Any]], str] = lambda row: "an item",
    noun: str = "items",
) -> None:
    """Run ``job`` over ``items``, here (``backend`` None) or on ``backend``'s workers; each row reaches
    ``deliver`` as its item ends.  A :class:`~planact.harness.ray_backend.BackendError` says why the
    workers could not run them (the rows delivered so far are the caller's)."""
    items = list(items)
    if backend is not None:
        batch = Batch(job, items, out, parallel, timeout_s, blank, arguments, on_start, label, noun)
        asyncio.run(backend.run(batch, deliver))
        return
    job.setup(out)
    try:
        for item in items:
            on_start(dict(blank(item), pid=os.getpid()))
            deliver(job.play(*arguments(item)))
    finally:
        job.close()
