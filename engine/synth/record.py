"""Run plans with page recording: the run folders that become trajectories (``planact record``).

A plan is prepared here, on the driver (linted, its sites moved, its inputs bound: no browser), and then
run by a :class:`~planact.synth.jobs.RecordJob`, in this process or on a Ray worker (``--backend ray``),
with the code of ``planact run`` (a Chromium of the run's own).  The driver alone writes the trajectory
file and the ledger ``OUT.recorded.jsonl``: a line per plan recorded, so that the same command again
runs only the plans it has no recording of (the plan's text, its sites and its inputs, secrets aside,
are its key).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..check import lint_text
from ..lang.evaluate import Secret
from ..run.records import RunRecord, append_jsonl, read_jsonl
from ..syntax import ast
from ..syntax.format import format_plan
from .trajectory import Trajectory, TrajectoryError, from_run


class RecordError(Exception):
    """The plan cannot be run: it does not lint, or an input is missing; the message says which."""


@dataclass
class Recording:
    """A plan ready to run: linted, its sites moved, its inputs bound."""

    plan: ast.Plan
    values: dict[str, Any]
    base: str  # the plan's folder, where its own modules (`use "file.pa"`) are found

    def key(self) -> str:
        """What makes two recordings of a plan the same: its text (sites moved) and its inputs (not secrets)."""
        shown = {k: None if isinstance(v, Secret) else v for k, v in sorted(self.values.items())}
        text = format_plan(self.plan) + json.dumps(shown, default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepare_recording(
    path: Path, inputs: Mapping[str, str], secrets: Mapping[str, str], sites: Mapping[str, str]
) -> Recording:
    """The plan at ``path``, ready to run; :class:`RecordError` when it does not lint or lacks an input.

    ``inputs`` and ``secrets`` the plan does not declare are ignored (one set of
    options serves many plans); ``sites`` point declared sites at other URLs.
    """
    from ..harness.agents import with_sites
    from ..lang.values import bind_inputs

    plan, diagnostics = lint_text(path.read_text(encoding="utf-8"), str(path))
    errors = [d for d in diagnostics if d.severity == "error"]
    if plan is None or errors:
        first = (errors or diagnostics)[0]
        raise RecordError(f"{path}:{first.span.line}:{first.span.column}: {first.code} {first.message}")
    plan = with_sites(plan, dict(sites))
    declared = {i.name.name for i in plan.inputs}
    try:
        values = bind_inputs(
            plan,
            {k: v for k, v in inputs.items() if k in declared},
            {k: v for k, v in secrets.items() if k in declared},
        )
    except ValueError as err:
        raise RecordError(f"{path}: {err}") from None
    return Recording(plan, values, str(path.parent.resolve()))


def start_recording(recording: Recording, runs: Path) -> RunRecord:
    """The run folder of a recording, with its plan and inputs written."""
    record = RunRecord.create(runs)
    record.start(format_plan(recording.plan), recording.values)
    return record


async def run_recording(recording: Recording, record: RunRecord) -> None:
    """Run the plan (no model) recording the page before and after each action into ``record``."""
    from ..browser.session import SessionOptions
    from ..run.executor import Executor

    base = recording.base if Path(recording.base).is_dir() else None  # another machine: no folder of the plan
    await Executor(recording.plan, recording.values, record, SessionOptions(), base=base, pages=True).run()


def record_plan(
    path: Path,
    inputs: Mapping[str, str],
    secrets: Mapping[str, str],
    sites: Mapping[str, str],
    runs: Path,
) -> Path:
    """Run the plan at ``path`` (no model) recording the page before and after each action; its run folder."""
    recording = prepare_recording(path, inputs, secrets, sites)
    record = start_recording(recording, runs)
    asyncio.run(run_recording(recording, record))
    return record.path


@dataclass
class Recorded:
    """What became of one source: its trajectory, or why there is none."""

    source: str
    trajectory: Trajectory | None = None
    error: str | None = None
    again: bool = False  # recorded by an earlier run of the command (its ledger line), not run this time


def ledger_of(out: Path) -> Path:
    """The ledger beside the trajectory file ``out``: ``demo.traj.jsonl`` -> ``demo.traj.recorded.jsonl``."""
    return out.with_suffix(".recorded.jsonl")


def record_all(
    sources: Sequence[str],
    inputs: Mapping[str, str],
    secrets: Mapping[str, str],
    sites: Mapping[str, str],
    runs: Path,
    out: Path,
    *,
    backend: Any = None,
    parallel: int = 1,
    timeout_s: float = 600.0,
    progress: Callable[[Recorded], None] = lambda done: None,
    on_start: Callable[[dict[str, Any]], None] = lambda row: None,
) -> list[Recorded]:
    """Every source as a trajectory, in the order given: a run folder converted as it is, a plan run first
    (here, or on ``backend``'s workers) unless the ledger of ``out`` has its recording.  ``progress`` sees
    each source as it is done; ``on_start`` each plan's row as it starts (with the pid running it)."""
    from .jobs import RecordJob, run_items

    ledger = ledger_of(out)
    known = {(line["source"], line["key"]): line["record"] for line in read_jsonl(ledger)}
    found: dict[int, Recorded] = {}

    def settle(index: int, done: Recorded) -> None:
        found[index] = done
        progress(done)

    def convert(index: int, source: str, folder: str | Path, again: bool = False) -> bool:
        try:
            settle(index, Recorded(source, from_run(folder), again=again))
        except TrajectoryError as err:
            settle(index, Recorded(source, error=str(err)))
            return False
        return True

    pending: list[tuple[int, str, Recording]] = []
    for index, source in enumerate(sources):
        if Path(source).is_dir():
            convert(index, source, source)
            continue
        try:
            recording = prepare_recording(Path(source), inputs, secrets, sites)
        except RecordError as err:
            settle(index, Recorded(source, error=str(err)))
            continue
        folder = known.get((source, recording.key()))
        if folder is not None and Path(folder).is_dir():
            convert(index, source, folder, again=True)
        else:
            pending.append((index, source, recording))

    keys = {index: recording.key() for index, _, recording in pending}

    def deliver(row: dict[str, Any]) -> None:
        index, source = row["index"], row["source"]
        if row["status"] != "ok":
            settle(index, Recorded(source, error=row["error"]))
        elif convert(index, source, row["record"]):  # the ledger line once the trajectory is in hand
            append_jsonl(ledger, {"source": source, "key": keys[index], "record": row["record"]}, sync=True)

    if pending:
        run_items(
            RecordJob(timeout_s), pending, runs, deliver, backend=backend, parallel=parallel, timeout_s=timeout_s,
            blank=lambda item: RecordJob.blank(item[0], item[1]), label=lambda row: row["source"], noun="plans",
            on_start=on_start,
        )  # fmt: skip
    return [found[index] for index in sorted(found)]
