"""Synthetic data with no teacher model: a benchmark is the task generator (``planact synth generate``).

MiniWoB++ makes a new task instance of every seed.  The grounded plans of ``plans/miniwob`` are replayed
over many training seeds with page recording, and only the episodes that the page's own reward judged
successful become trajectories.  Their plans' steps (with the episode's values written into the intents)
are the teacher's answer (:class:`~planact.synth.ground.RecordedSteps`), checked by the same gates as a
model's (spans, lint); the reward stands for the replay, since a seed's page cannot be served again
without its episode.  Then the replanning examples and the export, as `synth replans` and `synth export`.

The demo shop's task families are generators too (:mod:`planact.synth.demo_tasks`): every seed is a new
task from the catalogue with its WebArena-format evaluator and a reference plan, and an episode is kept
only when the plan's replay passes the task's evaluator.

Seeds from :data:`HELD_OUT_SEED` on are never used here: they are the held-out evaluation seeds (and, for the
demo shop, held-out contents).

The folder it fills::

    OUT/tasks.json, OUT/plans/   (demo) the generated tasks and their reference plans
    OUT/episodes/      the recording benchmark run (results.jsonl + run records; rerunning resumes)
    OUT/trajectories.jsonl
    OUT/data/          the synth folder: ground.jsonl ledger, grounded/, replans.jsonl
    OUT/export/        planner.jsonl, replanner.jsonl, executor.jsonl, react.jsonl and the dataset card
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HELD_OUT_SEED = 1000  # seeds >= this are for evaluation only


class GenerateError(Exception):
    """The generation cannot start or go on; the message says why and what to do."""


@dataclass
class Generated:
    """What one generation run produced, phase by phase."""

    episodes: int = 0
    successful: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # task -> episodes its reward judged unsuccessful
    kept: int = 0
    dropped: int = 0
    examples: dict[str, int] = field(default_factory=dict)
    out: str = ""


def generate_miniwob(
    out: Path,
    patterns: str | None,
    seeds: int,
    first_seed: int = 0,
    parallel: int = 1,
    plans: Path | None = None,
    progress: Callable[[str], None] = lambda line: None,
    backend: Any = None,
) -> Generated:
    """Record, gate, ground and export MiniWoB++ episodes of training seeds (see the module note).

    ``backend`` plays the recording episodes (:class:`~planact.harness.runner.LocalBackend` when None, or a
    :class:`~planact.harness.ray_backend.RayBackend`); the rest runs here, on what the runner wrote."""
    from ..harness.runner import BenchOptions, read_results
    from ..harness.suites import MiniWoB

    if first_seed + seeds > HELD_OUT_SEED:
        raise GenerateError(
            f"seeds {first_seed}..{first_seed + seeds - 1} reach the held-out seeds (>= {HELD_OUT_SEED}), which "
            "are kept for evaluation: choose seeds below it"
        )
    suite = MiniWoB(plans)
    try:
        suite.open(patterns)
    except (FileNotFoundError, ImportError) as err:
        raise GenerateError(str(err)) from None
    if not suite.tasks:
        suite.close()
        raise GenerateError(f"no MiniWoB++ task with a grounded plan matches {patterns!r}")
    options = BenchOptions(agents=("replay",), seeds=seeds, first_seed=first_seed, parallel=parallel, pages=True)
    _record(suite, options, out, progress, backend)
    seed_range = range(first_seed, first_seed + seeds)
    names = {t.id for t in suite.tasks}
    rows = [
        r for r in read_results(out / "episodes" / "results.jsonl") if r["task"] in names and r["seed"] in seed_range
    ]
    return _synthesize(rows, out, progress)


def generate_demo(
    out: Path,
    names: str | None,
    instances: int,
    first_seed: int = 0,
    parallel: int = 1,
    progress: Callable[[str], None] = lambda line: None,
    backend: Any = None,
) -> Generated:
    """New demo-shop tasks from its task families (:mod:`planact.synth.demo_tasks`), recorded, gated and exported.

    OUT/tasks.json and OUT/plans hold the generated tasks and their reference plans; the plans are replayed
    with page recording and an episode is kept only when the task's own evaluator passed it."""
    from ..harness.runner import BenchOptions, read_results
    from ..harness.suites import Demo
    from ..harness.webarena import TaskFileError
    from .demo_tasks import DemoTaskError, families, write_tasks
    from .demo_tasks import instances as make_instances

    if first_seed + instances > HELD_OUT_SEED:
        raise GenerateError(
            f"seeds {first_seed}..{first_seed + instances - 1} reach the held-out seeds (>= {HELD_OUT_SEED}), "
            "which are kept for evaluation: choose seeds below it (`planact synth demo-tasks` writes held-out tasks)"
        )
    try:
        chosen = make_instances(families(names), instances, first_seed)
    except DemoTaskError as err:
        raise GenerateError(str(err)) from None
    out.mkdir(parents=True, exist_ok=True)
    tasks, plans = write_tasks(chosen, out)
    progress(f"{len(chosen)} tasks of {len({i.family for i in chosen})} families -> {tasks}")
    suite = Demo(plans, tasks=tasks)
    try:
        suite.open(None)
    except (TaskFileError, OSError) as err:  # the task file just written, or the shop's server, failed
        suite.close()
        raise GenerateError(str(err)) from None
    options = BenchOptions(agents=("replay",), seeds=1, first_seed=0, parallel=parallel, pages=True)
    _record(suite, options, out, progress, backend)
    ids = {i.task_id for i in chosen}
    rows = [r for r in read_results(out / "episodes" / "results.jsonl") if r["task"] in ids]
    return _synthesize(rows, out, progress)


def _record(suite: Any, options: Any, out: Path, progress: Callable[[str], None], backend: Any) -> None:
    """Play the suite's replay episodes with page recording into OUT/episodes (what is there already is kept);
    closes the suite."""
    from ..harness.agents import Models
    from ..harness.ray_backend import BackendError
    from ..harness.runner import Runner

    try:
        total = len(suite.tasks) * options.seeds
        runner = Runner(suite, Models(), options, out / "episodes", backend=backend)
        todo = len(runner.pending())
        finished = [0]

        def on_event(kind: str, row: dict[str, Any]) -> None:
            if kind == "episode_finished":
                finished[0] += 1
                mark = "ok  " if row.get("success") else "fail"
                progress(f"  [{finished[0]}/{todo}] {mark} {row['task']} seed {row['seed']}")

        runner.on_event = on_event
        progress(f"recording {todo} of {total} episodes ({total - todo} recorded already) -> {out / 'episodes'}")
        try:
            asyncio.run(runner.run())
        except BackendError as err:
            raise GenerateError(f"{err} (the episodes recorded so far are kept)") from None
    finally:
        suite.close()


def _synthesize(rows: list[dict], out: Path, progress: Callable[[str], None]) -> Generated:
    """The successful episodes among ``rows`` as trajectories, grounded (recorded teacher), replans, export."""
    from .export import build_replans, export
    from .ground import RecordedSteps, ground_all, ledger
    from .trajectory import TrajectoryError, from_run, write_trajectories

    result = Generated(out=str(out))
    result.episodes = len(rows)
    trajectories = []
    for row in rows:
        if not (row.get("success") and row.get("record")):
            result.failed[row["task"]] = result.failed.get(row["task"], 0) + 1
            continue
        try:
            trajectories.append(from_run(row["record"]))
        except TrajectoryError as err:
            progress(f"  no trajectory of {row['task']} seed {row['seed']}: {err}")
            result.failed[row["task"]] = result.failed.get(row["task"], 0) + 1
    result.successful = len(trajectories)
    if not trajectories:
        raise GenerateError("no episode succeeded: nothing to learn from (see the results in OUT/episodes)")
    write_trajectories(trajectories, out / "trajectories.jsonl")
    progress(f"{len(trajectories)} successful episodes of {len(rows)} -> {out / 'trajectories.jsonl'}")
    ground_all(trajectories, RecordedSteps(), out / "data", replay_mode="never")
    entries = ledger(out / "data")
    result.kept = sum(1 for e in entries if e.get("kept"))
    result.dropped = len(entries) - result.kept
    build_replans(out / "data")
    result.examples = export(out / "data", out / "export")
    progress(f"{result.kept} plans kept, {result.dropped} dropped; examples: {result.examples} -> {out / 'export'}")
    return result
