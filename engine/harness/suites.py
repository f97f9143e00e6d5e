"""Benchmark suites: where the tasks come from, how an episode starts, and how it is judged.

A suite serves its sites (MiniWoB's task pages, the demo shop; WebArena's sites
are the user's own hosts), lists its tasks, opens each episode on its start
page in a browser context of its own, and scores the episode when the agent
is done.  The runner (:mod:`planact.harness.runner`) is the same for all three.
"""

from __future__ import annotations

import fnmatch
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..lang.origins import origin_of
from ..models.base import Model

PLANS = Path(__file__).resolve().parent.parent / "plans"

# Told to the planner and executor of a MiniWoB episode: the task page is the whole world.
MINIWOB_NOTE = " (The task page is already open: act on it; do not navigate away.)"


@dataclass
class BenchTask:
    """One task as the runner sees it."""

    id: str
    family: str | None = None
    goal: str | None = None  # None: the episode's own instruction (MiniWoB)
    saved: Path | None = None  # the grounded plan the replay agent runs
    spec: Any = None  # the WebArena config, for judging


@dataclass
class Start:
    """An episode on its start page: the goal the agents get, and the inputs of a saved plan."""

    goal: str
    inputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Judged:
    """How an episode scored: reward in [0, 1] (MiniWoB's raw reward can be -1), success, and the evidence."""

    reward: float
    success: bool
    details: dict[str, Any] = field(default_factory=dict)


def select(tasks: list[BenchTask], patterns: str | None) -> list[BenchTask]:
    """Tasks whose id (or family) matches one of the comma-separated glob patterns (all tasks without patterns)."""
    if not patterns:
        return tasks
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    return [
        t
        for t in tasks
        if any(fnmatch.fnmatchcase(t.id, p) or (t.family and fnmatch.fnmatchcase(t.family, p)) for p in wanted)
    ]


class Suite:
    """Base class: ``open`` starts the servers and loads the tasks; the rest is per episode."""

    name = "suite"
    sites: dict[str, str]
    tasks: list[BenchTask]

    def __init__(self) -> None:
        self.sites = {}
        self.tasks = []
        self._stack = ExitStack()

    def open(self) -> Suite:
        return self

    def close(self) -> None:
        self._stack.close()

    def task_sites(self, task: BenchTask) -> dict[str, str]:
        """Site name → URL for the plans of ``task`` (saved plans are pointed at these)."""
        return dict(self.sites)

    def origins(self) -> frozenset[str]:
        return frozenset(o for o in (origin_of(u) for u in self.sites.values()) if o)

    async def begin(self, session: Any, task: BenchTask, seed: int) -> Start:
        raise NotImplementedError

    async def judge(self, session: Any, task: BenchTask, answer: Any, judge: Model | None) -> Judged:
        raise NotImplementedError


class MiniWoB(Suite):
    """The MiniWoB++ task pages of the ``miniwob`` package, served from 127.0.0.1.

    Tasks are those with a grounded plan in ``plans/miniwob/`` unless ``--tasks`` names others
    (any of the 130 pages; the replay agent needs a plan).  A saved plan takes the episode's
    instruction as its input ``task``.
    """

    name = "miniwob"

    def __init__(self, plans: Path | None = None) -> None:
        super().__init__()
        self.plans = plans or PLANS / "miniwob"

    def open(self, patterns: str | None = None) -> MiniWoB:
        from .miniwob import serve_miniwob, task_names

        self.server = self._stack.enter_context(serve_miniwob())
        self.sites = {"miniwob": self.server.url}
        planned = {p.stem for p in self.plans.glob("*.pa")}
        names = task_names() if patterns else sorted(planned)
        tasks = [BenchTask(n, n, None, self.plans / f"{n}.pa" if n in planned else None) for n in names]
        self.tasks = select(tasks, patterns)
        return self

    async def begin(self, session: Any, task: BenchTask, seed: int) -> Start:
        from .miniwob import start_episode

        utterance = await start_episode(session.page, self.server.url, task.id, seed)
        return Start(utterance + MINIWOB_NOTE, {"task": utterance})

    async def judge(self, session: Any, task: BenchTask, answer: Any, judge: Model | None) -> Judged:
        from .miniwob import episode_outcome

        outcome = await episode_outcome(session.page)
        return Judged(
            outcome.raw_reward,
            outcome.success,  # full credit, as the replay script counts it (partial credit is in the reward)
            {"done": outcome.done, "reward": outcome.reward, "reason": outcome.reason},
        )


class WebArena(Suite):
    """WebArena-format task files; site placeholders map to the user's hosts (a settings file)."""

    name = "webarena"

    def __init__(self, source: str, placeholders: dict[str, str] | None = None, plans: Path | None = None) -> None:
        super().__init__()
        self.source, self.placeholders, self.plans = source, dict(placeholders or {}), plans

    def open(self, patterns: str | None = None) -> WebArena:
        from .webarena import BUILTIN, builtin_tasks, load_tasks

        specs = (
            builtin_tasks(self.source, self.placeholders)
            if self.source in BUILTIN
            else load_tasks(self.source, self.placeholders)
        )
        self.sites = {
            key.strip("_").lower(): url for key, url in self.placeholders.items() if origin_of(url) is not None
        }
        self.tasks = select([self._task(s) for s in specs], patterns)
        return self

    def _task(self, spec: Any) -> BenchTask:
        saved = self.plans / f"{spec.task_id}.pa" if self.plans is not None else None
        return BenchTask(spec.task_id, spec.family, spec.intent, saved, spec)

    def task_sites(self, task: BenchTask) -> dict[str, str]:
        """The sites a task's plan may visit: the task's own, by the names its config gives them."""
        own = {name: self.sites[name] for name in task.spec.sites if name in self.sites}
        return own or dict(self.sites)

    async def login(self, session: Any, task: BenchTask) -> None:
        if task.spec.storage_state and Path(task.spec.storage_state).is_file():
            import json

            state = json.loads(Path(task.spec.storage_state).read_text(encoding="utf-8"))
            await session.context.add_cookies(state.get("cookies", []))

    async def begin(self, session: Any, task: BenchTask, seed: int) -> Start:
        if task.spec.require_login:
            await self.login(session, task)
        await session.page.goto(task.spec.start_url)
        return Start(task.spec.intent)

    async def judge(self, session: Any, task: BenchTask, answer: Any, judge: Model | None) -> Judged:
        from .evaluators import evaluate_task

        verdict = await evaluate_task(task.spec, session.page, None if answer is None else str(answer), judge)
        return Judged(verdict.score, verdict.passed, verdict.as_dict())


class Demo(WebArena):
    """planact's own WebArena-format tasks for the bundled demo shop, served on 127.0.0.1."""

    name = "demo"

    def __init__(self, plans: Path | None = None, tasks: Path | None = None) -> None:
        # ``tasks``: a task file of demo-shop tasks (``__DEMO__`` placeholders), e.g. `planact synth demo-tasks`'s
        super().__init__(str(tasks) if tasks else "demo", {}, plans or PLANS / "bench-demo")

    def open(self, patterns: str | None = None) -> Demo:
        from ..demo.server import serve_demo

        server = self._stack.enter_context(serve_demo())
        self.placeholders = {"__DEMO__": server.url}
        super().open(patterns)
        self.sites = {"demo": server.url}
        return self

    def task_sites(self, task: BenchTask) -> dict[str, str]:
        return dict(self.sites)

    async def login(self, session: Any, task: BenchTask) -> None:
        from .webarena import demo_login

        await demo_login(session.context, self.sites["demo"])
