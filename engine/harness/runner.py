"""The benchmark runner: episodes of (agent, task, seed), concurrently, each in a browser context of its own.

One Chromium serves every episode; ``parallel`` episodes run at once, each in
a fresh context (cookies and storage of its own).  Every episode writes a run
record (``OUT/runs/AGENT/TASK-sSEED-*``) and, when it ends, one line to
``OUT/results.jsonl``.  An episode that crashes is a line with ``status:
error`` (one that runs out of time: ``timeout``, a failure) and the rest go on; a browser that died is launched again.
Running the same command again resumes: episodes that already have a line
are not run again (``retry_errors`` runs the errored ones again).

Where the episodes run is the backend's business: :class:`LocalBackend` plays
them in this process (above); :class:`planact.harness.ray_backend.RayBackend`
on the workers of a Ray cluster, each with a Chromium of its own.  Either way
the rows come back to the :class:`Runner`, which alone writes the results file.
"""

from __future__ import annotations

import asyncio
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..browser.launch import find_browser
from ..browser.session import BrowserSession, SessionOptions
from ..browser.targets import install_describer
from ..lang.values import bind_inputs
from ..models.base import Model
from ..run import events
from ..run.executor import Executor
from ..run.modes import BENCH_DEFAULT, agent_label
from ..run.records import RunRecord, append_jsonl, read_jsonl
from ..syntax.format import format_plan
from .agents import AGENTS, Models, NoPlan, prepare
from .suites import BenchTask, Suite

PAGE_MB = 40  # memory of one more page with its context, measured on the demo shop (README)
RESULTS = "results.jsonl"

Episode = tuple[str, BenchTask, int]  # agent, task, seed


def spent_in_record(record: RunRecord) -> dict[str, int]:
    """Model calls, tokens, finished steps and actions as an episode's record logged them: planning, grounding
    and replanning alike, and whether the episode finished, found no plan, timed out or crashed."""
    spent = {"model_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "steps": 0, "actions": 0}
    for event in record.events():
        kind = event.get("event")
        if kind == "model_call":
            spent["model_calls"] += 1
            spent["prompt_tokens"] += int(event.get("prompt_tokens") or 0)
            spent["completion_tokens"] += int(event.get("completion_tokens") or 0)
        elif kind == "step_finished":
            spent["steps"] += 1
        elif kind == "action":
            spent["actions"] += 1
    return spent


@dataclass
class BenchOptions:
    agents: tuple[str, ...]
    seeds: int = 1
    first_seed: int = 0
    parallel: int = 1
    timeout_s: float = 180.0
    retry_errors: bool = False
    judge: Model | None = None
    step_timeout_ms: float = 5000
    model_name: str | None = None
    pages: bool = False  # record the page before and after every action (trajectories for planact synth)
    replan: str = BENCH_DEFAULT  # when the dynamic agent revises its plan (every-step | after-reads)


def episode_key(agent: str, task: str, seed: int) -> str:
    return f"{agent}/{task}/{seed}"


def read_results(path: Path) -> list[dict[str, Any]]:
    """The lines of a results file (a torn last line, from a killed run, is skipped)."""
    return read_jsonl(path)


def bounded_parallel(wanted: int) -> tuple[int, str | None]:
    """``wanted`` concurrent episodes, fewer when the machine's free memory cannot hold their pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info = dict(line.split(":", 1) for line in f)
        free_mb = int(info["MemAvailable"].split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        return max(1, wanted), None
    fits = max(1, (free_mb - 1024) // PAGE_MB)  # keep a GiB for everything else
    if wanted > fits:
        return fits, f"--parallel {wanted} lowered to {fits}: {free_mb} MB free, about {PAGE_MB} MB per page"
    return max(1, wanted), None


class Backend(Protocol):
    """Where episodes run: ``play`` runs them and hands each finished row to ``deliver``, in the driver."""

    async def play(self, runner: Runner, episodes: list[Episode], deliver: Callable[[dict[str, Any]], None]) -> None:
        """Run ``episodes``; call ``deliver(row)`` as each one ends (the driver writes the row at once)."""
        ...


class LocalBackend:
    """Every episode in this process: one Chromium, ``parallel`` episodes at once, each in a context of its own."""

    async def play(self, runner: Runner, episodes: list[Episode], deliver: Callable[[dict[str, Any]], None]) -> None:
        """Run ``episodes`` here, at most ``runner.options.parallel`` at a time."""
        player = EpisodePlayer(runner.suite, runner.models, runner.options, runner.out, runner.on_event)
        gate = asyncio.Semaphore(max(1, runner.options.parallel))
        await player.start()
        try:

            async def one(agent: str, task: BenchTask, seed: int) -> None:
                async with gate:
                    row = await player.episode(agent, task, seed)
                deliver(row)

            await asyncio.gather(*(one(*e) for e in episodes))
        finally:
            await player.close()


class Runner:
    """Runs a suite's episodes and appends their results; ``on_event`` sees each episode start and end.

    The runner is the driver: it decides what is pending and alone writes ``results.jsonl``, whichever
    ``backend`` plays the episodes (:class:`LocalBackend`, the default, or
    :class:`planact.harness.ray_backend.RayBackend`).
    """

    def __init__(
        self, suite: Suite, models: Models, options: BenchOptions, out: Path,
        on_event: Callable[[str, dict[str, Any]], None] | None = None, backend: Backend | None = None,
    ) -> None:  # fmt: skip
        for agent in options.agents:
            if agent not in AGENTS:
                raise ValueError(f"unknown agent {agent!r}: choose from {', '.join(AGENTS)}")
        self.suite, self.models, self.options, self.out = suite, models, options, out
        self.on_event = on_event or (lambda kind, row: None)
        self.backend: Backend = backend or LocalBackend()
        self.results = out / RESULTS

    def pending(self) -> list[Episode]:
        """The episodes still to run: those without a line in the results file (or with an error line, on retry)."""
        done = {
            episode_key(agent_label(r["agent"], r.get("replan")), r["task"], r["seed"])
            for r in read_results(self.results)
            if not (self.options.retry_errors and r.get("status") in ("error", "timeout"))
        }
        seeds = range(self.options.first_seed, self.options.first_seed + self.options.seeds)
        return [
            (agent, task, seed)
            for agent in self.options.agents
            for task in self.suite.tasks
            for seed in seeds
            if episode_key(agent_label(agent, self.options.replan), task.id, seed) not in done
        ]

    async def run(self) -> list[dict[str, Any]]:
        """Run the pending episodes; the rows written by this call, in the order they finished."""
        self.out.mkdir(parents=True, exist_ok=True)
        episodes = self.pending()
        rows: list[dict[str, Any]] = []
        if not episodes:
            return rows

        def deliver(row: dict[str, Any]) -> None:  # a row is on disk before anything else sees it
            append_jsonl(self.results, row, sync=True)
            rows.append(row)
            self.on_event("episode_finished", row)

        await self.backend.play(self, episodes, deliver)
        return rows


def blank_row(benchmark: str, agent: str, task: BenchTask, seed: int, model_name: str | None) -> dict[str, Any]:
    """The result row of an episode before it ran: status ok, no success, nothing spent."""
    return {
        "benchmark": benchmark, "agent": agent, "task": task.id, "family": task.family, "seed": seed,
        "model": model_name if agent != "replay" else None, "status": "ok", "success": False,
        "reward": 0.0, "steps": 0, "actions": 0, "model_calls": 0, "prompt_tokens": 0,
        "completion_tokens": 0, "seconds": 0.0, "answer": None, "error": None, "record": None,
    }  # fmt: skip


class EpisodePlayer:
    """Plays episodes in one Chromium (launched again if it dies), each in a fresh context: the local
    backend's one player, and each Ray worker's."""

    def __init__(
        self, suite: Suite, models: Models, options: BenchOptions, out: Path,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:  # fmt: skip
        self.suite, self.models, self.options, self.out = suite, models, options, out
        self.on_event = on_event or (lambda kind, row: None)
        self._browser: Any = None
        self._playwright: Any = None
        self._relaunch = asyncio.Lock()

    async def start(self) -> None:
        """Start Playwright and launch the browser."""
        from playwright.async_api import async_playwright

        self._playwright = await async_playwright().start()
        await install_describer(self._playwright)
        await self._launch()

    async def close(self) -> None:
        """Close the browser and stop Playwright (nothing happens when they were not started)."""
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            self._browser = None
            if self._playwright is not None:
                await self._playwright.stop()
                self._playwright = None

    async def _launch(self) -> Any:
        async with self._relaunch:
            if self._browser is None or not self._browser.is_connected():
                choice = find_browser()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=choice.executable, headless=True, args=list(choice.args)
                )
            return self._browser

    async def episode(self, agent: str, task: BenchTask, seed: int) -> dict[str, Any]:
        """One episode, whatever happens: a result row (status ok, or error with its reason)."""
        row = blank_row(self.suite.name, agent, task, seed, self.options.model_name)
        self.on_event("episode_started", row)
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self._episode(agent, task, seed, row), self.options.timeout_s)
        except TimeoutError:  # the agent's time is up: a failure of the agent, not of the harness
            row.update(status="timeout", success=False, error=f"timed out after {self.options.timeout_s:g} s")
        except Exception as err:  # an episode's crash is its own; the run goes on
            detail = "".join(traceback.format_exception_only(type(err), err)).strip()
            row.update(status="error", error=detail[:2000])
        row["seconds"] = round(time.perf_counter() - started, 2)
        if row["record"]:
            row.update(spent_in_record(RunRecord(Path(row["record"]))))
            fields = {k: v for k, v in row.items() if k != "record"}
            RunRecord(Path(row["record"])).write(events.Episode(**{**fields, "event": "episode_finished"}))
        return row

    async def _episode(self, agent: str, task: BenchTask, seed: int, row: dict[str, Any]) -> None:
        browser = self._browser if self._browser is not None and self._browser.is_connected() else await self._launch()
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{task.id}-s{seed}")
        record = RunRecord.create(self.out / "runs" / agent / name)
        row["record"] = str(record.path.resolve())  # readable from any folder (episode_time.py, reports)
        record.write(
            events.Episode(event="episode_started", benchmark=self.suite.name, agent=agent, task=task.id, seed=seed)
        )
        sites = self.suite.task_sites(task)
        session = BrowserSession(
            SessionOptions(allowed_origins=self.suite.origins(), timeout_ms=self.options.step_timeout_ms),
            shared=browser,
        )
        await session.start()
        try:
            start = await self.suite.begin(session, task, seed)
            row["goal"] = start.goal
            if agent == "dynamic":
                row["replan"] = self.options.replan

            try:
                prepared = await prepare(
                    agent, start.goal, sites, session.page, self.models, record.write, task.saved,
                    replan=self.options.replan,
                )  # fmt: skip
            except NoPlan as err:  # the drafts' calls and tokens are in the record all the same
                row.update(error=str(err), planning="no plan")
                row.update(self._judged(await self.suite.judge(session, task, None, self.options.judge)))
                return
            try:
                values = bind_inputs(prepared.plan, start.inputs if agent == "replay" else {}, {})
            except ValueError as err:  # a saved plan that does not fit the instruction, a drafted plan's inputs
                row.update(error=str(err))
                row.update(self._judged(await self.suite.judge(session, task, None, self.options.judge)))
                return
            # a saved plan's secret defaults are masked in the record and the results; the inputs are kept
            # because a trajectory made of the run writes them into its intents
            record.start(format_plan(prepared.plan), values)
            executor = Executor(
                prepared.plan, values, record, SessionOptions(), agent=prepared.agent, session=session,
                pages=self.options.pages,
            )  # fmt: skip
            result = await executor.run()
            row["answer"] = result.answer if result.answer is None else str(result.answer)
            row["run_status"] = result.status
            row["run_error"] = result.error
            row["revisions"] = result.revisions
            row.update(self._judged(await self.suite.judge(session, task, result.answer, self.options.judge)))
        finally:
            row.update(record.scrub(row))  # the answer, errors and judge's details, as the record has them
            try:
                await asyncio.wait_for(session.close(), 10)
            except Exception:  # a context of a crashed browser cannot be closed; the next episode relaunches
                pass

    @staticmethod
    def _judged(judged: Any) -> dict[str, Any]:
        return {"reward": judged.reward, "success": judged.success, "judged": judged.details}
