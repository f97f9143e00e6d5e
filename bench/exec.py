"""planact's executor against a hand-written Playwright script doing the same task.

Task: plans/demo/01-cheapest-mouse.pa (sign in, search, sort, read name and
price, open, add to cart, read the total) on the bundled demo shop.  Each
round runs every variant once, the order alternating from round to round, each
launching its own headless Chromium; the script is the baseline in the same
process.  The shop runs in a process of its own, as a real site would: served
from a thread of this process, its requests would wait for the interpreter
lock held by whichever runner is busier.  planact keeps its run record (event
log, plan, a screenshot after each step, cookies for resume) and runs with each
kind of Playwright trace (``planact exec --trace full|actions|off``), and with
no trace twice more: with full-size screenshots (``--screenshot-scale 1``, the
default is half) and with none (``--no-screenshots``); the script runs with no
trace, and again recording the same kind of trace as planact.  Prints the
median wall time of each and the median of the per-round ratios planact/script
(target ≤ 1.10), with a 95% bootstrap interval for that median: on a busy
machine single rounds scatter by ±5%, and the interval says how far the figure
itself could move in another run.

Run: ``python bench/exec.py [--rounds N] [--trace full,actions,off]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from planact import parse
from planact.browser import SCREENSHOT_SCALE, VIEWPORT
from planact.browser.launch import find_browser
from planact.browser.session import SessionOptions
from planact.lang.values import bind_inputs
from planact.run.executor import Executor
from planact.run.records import RunRecord

PLAN = Path(__file__).parent.parent / "plans" / "demo" / "01-cheapest-mouse.pa"


async def script(base: str, trace: str = "off", where: str = "") -> str:
    """The same task written by hand against Playwright; with ``trace``, recording the trace planact records."""
    from playwright.async_api import async_playwright

    choice = find_browser()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=choice.executable, headless=True, args=list(choice.args))
        context = await browser.new_context(viewport=VIEWPORT)  # planact's viewport
        if trace != "off":
            await context.tracing.start(screenshots=False, snapshots=trace == "full")
        page = await context.new_page()
        await page.goto(base + "/")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in", exact=True).click()
        await page.get_by_label("Username", exact=True).fill("alice")
        await page.get_by_label("Password", exact=True).fill("wonderland")
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await page.get_by_text("Signed in as alice").wait_for()
        await page.get_by_role("searchbox", name="Search", exact=True).fill("wireless mouse")
        await page.get_by_role("searchbox", name="Search", exact=True).press("Enter")
        await page.get_by_role("heading").first.wait_for()
        # the menu submits its form from script: wait for that navigation, or the next lines read the unsorted page
        async with page.expect_navigation():
            await page.get_by_role("combobox", name="Sort by", exact=True).select_option(label="Price: low to high")
        name = await page.locator(".result").first.get_by_role("link").first.inner_text()
        price = float((await page.locator(".result .price").first.inner_text()).strip("$"))
        await page.locator(".result").first.get_by_role("link").first.click()
        await page.get_by_role("heading", name=name, exact=True).wait_for()
        await page.get_by_role("button", name="Add to cart", exact=True).click()
        await page.wait_for_load_state("load")
        total = float((await page.locator(".total").inner_text()).split("$")[1])
        if trace != "off":
            await context.tracing.stop(path=os.path.join(where, "script-trace.zip"))
        await browser.close()
        return f"{name} for {price}; cart total {total}"


async def planact(base: str, runs: str, trace: str, screenshots: bool = True, scale: float = SCREENSHOT_SCALE) -> str:
    """The plan through planact's executor, with its run record (event log, plan, a screenshot after each step,
    cookies for resume) and the Playwright trace as ``planact exec --trace TRACE`` writes it."""
    plan = parse(PLAN.read_text().replace("http://127.0.0.1:8765", base))
    values = bind_inputs(plan, {}, {"password": "wonderland"})
    record = RunRecord.create(runs)
    trace_path = str(record.path / "trace.zip") if trace != "off" else None
    options = SessionOptions(trace_path=trace_path, trace=trace, screenshots=screenshots, screenshot_scale=scale)
    result = await Executor(plan, values, record, options).run()
    assert result.status == "succeeded", result.error
    return str(result.answer)


def median_interval(values: list[float], resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """A 95% bootstrap interval for the median of ``values``: how far the figure could move in another run."""
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples))
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


@contextlib.contextmanager
def shop() -> Iterator[str]:
    """The demo shop served by ``planact demo serve`` in a process of its own; yields its URL."""
    command = [sys.executable, "-m", "planact", "demo", "serve", "--port", "0", "--idle-timeout", "600"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""  # "planact demo shop on http://127.0.0.1:PORT (...)"
        if " on http" not in line:
            raise SystemExit(f"the demo shop did not start: {line!r}")
        yield line.split(" on ", 1)[1].split()[0]
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds of every variant (default 7)")
    parser.add_argument("--trace", default="full,actions,off", help="kinds of trace to compare (default all three)")
    args = parser.parse_args()
    traces = [t for t in args.trace.split(",") if t]
    with shop() as url, tempfile.TemporaryDirectory() as runs:
        # (planact's options, its trace, screenshots or not, their scale); each is compared with the script
        # recording its trace
        variants = [(f"--trace {t}", t, True, SCREENSHOT_SCALE) for t in traces]
        if "off" in traces:  # what the screenshots cost
            variants.append(("--trace off --screenshot-scale 1", "off", True, 1.0))
            variants.append(("--trace off --no-screenshots", "off", False, SCREENSHOT_SCALE))
        runners = {}
        for label, trace, shots, scale in variants:
            runners[f"planact {label}"] = lambda trace=trace, shots=shots, scale=scale: planact(
                url, runs, trace, shots, scale
            )
        for trace in traces:
            runners[f"script, trace {trace}"] = lambda trace=trace: script(url, trace, runs)
        answers = {name: asyncio.run(run()) for name, run in runners.items()}  # warm-up, and the same answer
        if len(set(answers.values())) != 1:
            raise SystemExit(f"the runs disagree: {answers}")
        times: dict[str, list[float]] = {name: [] for name in runners}
        for r in range(args.rounds):
            order = list(runners) if r % 2 == 0 else list(reversed(runners))
            for name in order:
                time.sleep(0.5)  # the last run's browser processes finish exiting, off the clock
                start = time.perf_counter()
                asyncio.run(runners[name]())
                times[name].append(time.perf_counter() - start)
    plain = times.get("script, trace off")
    print(f"task: {PLAN.name}, {args.rounds} rounds, alternating order, {os.cpu_count()} cores")
    print(
        f"  {'':<40} {'median s':>9} {'script s':>9} {'planact/script':>15} {'95% interval':>13}"
        f" {'to plain script':>16}"
    )
    for label, trace, _, _ in variants:
        mine, theirs = times[f"planact {label}"], times[f"script, trace {trace}"]
        ratios = [m / t for m, t in zip(mine, theirs, strict=True)]
        low, high = median_interval(ratios)
        to_plain = f"{statistics.median(m / t for m, t in zip(mine, plain, strict=True)):16.2f}" if plain else ""
        print(
            f"  planact {label:<32} {statistics.median(mine):9.2f} {statistics.median(theirs):9.2f}"
            f" {statistics.median(ratios):15.3f} {f'{low:.3f}–{high:.3f}':>13}{to_plain}"
        )
    print("  planact/script: the median of the rounds' ratios, the script recording the same trace (none for off)")
    print("  95% interval: of that median, by resampling the rounds (bootstrap); more rounds narrow it")
    print("  target: planact/script ≤ 1.10")
    print("  answer:", answers[next(iter(runners))])


if __name__ == "__main__":
    main()
