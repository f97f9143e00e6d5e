"""planact's executor against a hand-written Playwright script doing the same task.

Task: plans/demo/01-cheapest-mouse.pa (sign in, search, sort, read name and
price, open, add to cart, read the total) on the bundled demo shop.  Each
round runs both, alternating which goes first, each launching its own headless
Chromium; the script is the baseline in the same process.  Prints the median
wall time of each and the ratio planact/script (target ≤ 1.10), for planact
with its run record (event log, screenshots, cookies) and each kind of
Playwright trace (``planact exec --trace full|actions|off``).

Run: ``python bench/exec.py [--rounds N]``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from planact import parse
from planact.browser.launch import find_browser
from planact.browser.session import SessionOptions
from planact.demo.server import serve_demo
from planact.run.executor import Executor, bind_inputs
from planact.run.records import RunRecord

PLAN = Path(__file__).parent.parent / "plans" / "demo" / "01-cheapest-mouse.pa"


async def script(base: str) -> str:
    """The same task written by hand against Playwright."""
    from playwright.async_api import async_playwright

    choice = find_browser()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=choice.executable, headless=True, args=list(choice.args))
        page = await browser.new_page()
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
        await browser.close()
        return f"{name} for {price}; cart total {total}"


async def planact(base: str, runs: str, trace: str) -> str:
    """The plan through planact's executor, with its run record (event log, plan, a screenshot after each step,
    cookies for resume) and the Playwright trace as ``planact exec --trace TRACE`` writes it."""
    plan = parse(PLAN.read_text().replace("http://127.0.0.1:8765", base))
    values = bind_inputs(plan, {}, {"password": "wonderland"})
    record = RunRecord.create(runs)
    options = SessionOptions(trace_path=str(record.path / "trace.zip") if trace != "off" else None, trace=trace)
    result = await Executor(plan, values, record, options).run()
    assert result.status == "succeeded", result.error
    return str(result.answer)


def main() -> None:
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    with serve_demo() as server, tempfile.TemporaryDirectory() as runs:
        runners = {"script": lambda: script(server.url)}
        for trace in ("full", "actions", "off"):
            runners[f"planact --trace {trace}"] = lambda trace=trace: planact(server.url, runs, trace)
        answers = {name: asyncio.run(run()) for name, run in runners.items()}  # warm-up, and the same answer
        if len(set(answers.values())) != 1:
            sys.exit(f"the runs disagree: {answers}")
        times: dict[str, list[float]] = {name: [] for name in runners}
        for r in range(rounds):
            order = list(runners) if r % 2 == 0 else list(reversed(runners))
            for name in order:
                start = time.perf_counter()
                asyncio.run(runners[name]())
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times["script"])
    print(f"task: {PLAN.name}, {rounds} rounds, alternating order, {os.cpu_count()} cores")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:<24} median {med:6.2f} s   ratio to script {med / base:5.2f}")
    print("  target: planact/script ≤ 1.10")
    print("  answer:", answers["script"])


if __name__ == "__main__":
    main()
