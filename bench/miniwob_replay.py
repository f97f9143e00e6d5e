"""Replay the grounded MiniWoB++ plans of plans/miniwob over many seeded episodes.

Each plan ``plans/miniwob/<task>.pa`` takes the episode's instruction as its input ``task``.  For
every plan and seed the script starts an episode of that task (seeded, as the miniwob package does),
binds the instruction into the plan, runs the plan with planact's executor in that episode's page
and reads the task's own verdict.  One headless Chromium serves all episodes, one browser context
per task, the task page restarted in place between seeds.  It prints success/total per task
(success: the task's raw reward is 1), the failures with the task's reason, the overall rate and
the episodes per minute.

Run: ``python bench/miniwob_replay.py [--seeds 20] [--task click-button ...] [--time-limit S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from planact import parse
from planact.browser.launch import find_browser
from planact.browser.session import BrowserSession, SessionOptions
from planact.harness.miniwob import PLAN_SITE_URL, Outcome, end_episode, episode_outcome, serve_miniwob, start_episode
from planact.lang.values import bind_inputs
from planact.run.executor import Executor
from planact.run.records import RunRecord

PLANS = Path(__file__).parent.parent / "plans" / "miniwob"


@dataclass
class Tally:
    """The episodes of one task: how many succeeded, and why the others did not."""

    task: str
    total: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)


async def run_episode(
    session: BrowserSession, base_url: str, plan_text: str, task: str, seed: int, records: str, limit: float | None
) -> tuple[Outcome, str | None]:
    """One seeded episode of ``task`` solved by the plan; the outcome and the run's error, if any."""
    utterance = await start_episode(session.page, base_url, task, seed, reuse=True, time_limit_s=limit)
    plan = parse(plan_text.replace(PLAN_SITE_URL, base_url))
    try:
        values = bind_inputs(plan, {"task": utterance}, {})
    except ValueError as err:
        await end_episode(session.page)
        return Outcome(False, 0.0, 0.0, None), str(err)
    result = await Executor(plan, values, RunRecord.create(records), SessionOptions(), session=session).run()
    outcome = await episode_outcome(session.page)
    return outcome, result.error


async def replay(tasks: list[str], seeds: range, limit: float | None) -> list[Tally]:
    from playwright.async_api import async_playwright

    choice = find_browser()
    tallies = []
    with serve_miniwob() as server, tempfile.TemporaryDirectory(prefix="miniwob-runs-") as records:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=choice.executable, headless=True, args=list(choice.args))
            origin = frozenset({server.url})
            for task in tasks:
                tally = Tally(task)
                plan_text = (PLANS / f"{task}.pa").read_text(encoding="utf-8")
                session = BrowserSession(SessionOptions(allowed_origins=origin), shared=browser)
                await session.start()
                try:
                    for seed in seeds:
                        outcome, error = await run_episode(session, server.url, plan_text, task, seed, records, limit)
                        tally.total += 1
                        if outcome.success:
                            tally.passed += 1
                        else:
                            why = error or outcome.reason or ("not done" if not outcome.done else "wrong")
                            tally.failures.append(f"seed {seed}: raw reward {outcome.raw_reward:g}; {why}")
                            await end_episode(session.page)
                finally:
                    await session.close()
                print(f"{task:28} {tally.passed:3}/{tally.total}", flush=True)
                for failure in tally.failures:
                    print(f"    {failure}", flush=True)
                tallies.append(tally)
            await browser.close()
    return tallies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="episodes per task (seeds FIRST .. FIRST+N-1)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--task", action="append", help="only this task (repeatable); default: every plan")
    parser.add_argument("--time-limit", type=float, help="seconds per episode instead of the task's own limit")
    args = parser.parse_args(argv)
    tasks = args.task or sorted(p.stem for p in PLANS.glob("*.pa"))
    missing = [t for t in tasks if not (PLANS / f"{t}.pa").exists()]
    if missing:
        parser.error(f"no plan for {', '.join(missing)} in {PLANS}")
    started = time.perf_counter()
    tallies = asyncio.run(replay(tasks, range(args.first_seed, args.first_seed + args.seeds), args.time_limit))
    minutes = (time.perf_counter() - started) / 60
    total = sum(t.total for t in tallies)
    passed = sum(t.passed for t in tallies)
    perfect = sum(t.passed == t.total for t in tallies)
    print(
        f"overall: {passed}/{total} episodes ({100 * passed / max(total, 1):.1f}%), "
        f"{perfect}/{len(tallies)} tasks at {args.seeds}/{args.seeds}; "
        f"{total / minutes:.1f} episodes/min ({minutes:.1f} min)"
    )
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main())
