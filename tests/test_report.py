"""`planact report`: the HTML report of real runs, opened in real headless Chromium (planact's own launch).

The page must load with no request leaving the file, show the graph and every step, show a step's
screenshot when the step is clicked, show a replanned run's revision diff and a resumed run's two parts,
hold no secret, and come out of a damaged record with its gaps named.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from setup_state import needs_browser
from test_agent_e2e import PATCH  # the same replanning: the out-of-stock mouse swapped for another

from planact.browser.launch import find_browser
from planact.browser.session import SessionOptions
from planact.cli import DEMO_SECRETS, main
from planact.demo.server import serve_demo
from planact.lang.values import bind_inputs
from planact.models import ScriptedModel
from planact.report import collect_run, write_report
from planact.run.executor import Agent, Executor
from planact.run.records import RunRecord
from planact.scrub import encodings
from planact.syntax.format import format_plan
from planact.syntax.parser import parse

pytestmark = needs_browser

DEMO_STEPS = ["home", "signin", "search", "sort", "name", "price", "open", "add", "total", "report"]


@pytest.fixture(scope="module")
def shop():
    with serve_demo() as server:
        yield server


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, str]:
    """`planact demo` once: its run folder (with the report it wrote) and what it printed."""
    runs = tmp_path_factory.mktemp("demo") / "runs"
    result = CliRunner().invoke(main, ["demo", "--runs", str(runs)])
    assert result.exit_code == 0, result.output
    (folder,) = [p.parent for p in runs.glob("*/events.jsonl")]
    return folder, result.output


def open_in_chromium(page_path: Path, script):
    """Open a report file in headless Chromium (planact's launch), run ``script(page)``; returns (its result,
    every request that was not for a file: or data: address)."""
    from playwright.async_api import async_playwright

    async def go():
        choice = find_browser()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=choice.executable, headless=True, args=list(choice.args))
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                outside: list[str] = []
                page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url))
                await page.goto(page_path.resolve().as_uri())
                await page.wait_for_load_state("load")
                return await script(page), outside
            finally:
                await browser.close()

    return asyncio.run(go())


def leaked(text: str, secret: str) -> list[str]:
    return sorted(form for form in encodings(secret) | {secret} if len(form) >= 4 and form in text)


def test_demo_writes_a_report_that_loads_offline_shows_every_step_and_its_screenshot_on_click(demo_run, tmp_path):
    folder, printed = demo_run
    report = folder / "report.html"
    assert f"report: {report}" in printed and f"animated summary: {folder / 'summary.gif'}" in printed
    text = report.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), "the page refers to the network"

    async def look(page):
        found = {
            "nodes": await page.locator(".graph a.node").evaluate_all("ns => ns.map(n => n.dataset.step)"),
            "steps": await page.locator("details.step").evaluate_all("ds => ds.map(d => d.dataset.step)"),
            "open_before": await page.locator("details.step[open]").count(),
            "answer": await page.locator(".answer").inner_text(),
            "status": await page.locator("header .badge").first.inner_text(),
            "shown": {},
        }
        await page.screenshot(path=str(tmp_path / "report.png"))
        for step in found["nodes"]:
            await page.locator(f'.graph a.node[data-step="{step}"]').click()
            shot = page.locator(f"#step-{step} img.shot")
            await shot.wait_for(state="visible", timeout=2000)
            loaded = await shot.evaluate("img => img.complete && img.naturalWidth > 0")
            opened = await page.locator(f"#step-{step}").evaluate("d => d.open")
            found["shown"][step] = loaded and opened
        await page.screenshot(path=str(tmp_path / "report-clicked.png"))
        return found

    found, outside = open_in_chromium(report, look)
    assert outside == []  # nothing was fetched from anywhere but the file itself
    assert found["nodes"] == DEMO_STEPS or sorted(found["nodes"]) == sorted(DEMO_STEPS)
    assert found["steps"] == DEMO_STEPS and found["open_before"] == 0
    assert found["shown"] == {step: True for step in DEMO_STEPS}
    assert found["answer"].startswith("answer: Acme Wireless Mouse for") and found["status"] == "succeeded"
    # the target each action resolved to is on the page, as the event log has it
    assert "<b>button</b> “Add to cart”" in text and "login(user, password)" in text
    for secret in DEMO_SECRETS.values():
        assert leaked(text, secret) == [], secret
    # the animated summary: a frame per step, the step named on it
    with Image.open(folder / "summary.gif") as gif:
        assert gif.n_frames == len(DEMO_STEPS) and gif.width == 640
        for n in (0, len(DEMO_STEPS) - 1):  # each frame has its caption: light text on the dark bar above the page
            gif.seek(n)
            caption = gif.convert("L").crop((16, 0, 640, 50))
            shades = caption.histogram()
            assert sum(shades[200:]) > 0 and sum(shades[:60]) > 0.5 * caption.width * caption.height


def plan_with_secret(url: str) -> str:
    return f'''plan "Ergonomic mouse"
goal "Sign in, put the Globex Ergonomic Mouse in the cart, or another mouse if it is out of stock"

use web

site shop = "{url}"

input user: text = "alice"
input password: secret

step home "Open the shop":
    goto shop "/"

step signin: login(user, password)

step open "Open the Globex Ergonomic Mouse":
    goto shop "/product/7"

step add "Add it to the cart":
    click button "Add to cart"

step peek "Search the catalog for the password (the page gives it back in its address)":
    fill searchbox "Search" with password
    press "Enter" in searchbox "Search"

step total "Read the cart total" -> number:
    goto shop "/cart"
    extract css ".total" as number

step report "Report the total":
    answer "cart total {{total}}"
'''


def test_a_replanned_run_shows_its_revision_diff_its_model_call_and_no_secret(tmp_path, shop):
    secret = DEMO_SECRETS["password"]
    plan = parse(plan_with_secret(shop.url))
    values = bind_inputs(plan, {}, {"password": secret})
    record = RunRecord.create(tmp_path / "runs")
    record.hide(values)
    record.save_plan(format_plan(plan), 0)
    record.save_inputs(values)
    planner = ScriptedModel([PATCH], name="scripted-planner")
    executor = Executor(
        plan, values, record, SessionOptions(timeout_ms=1500), agent=Agent(planner=planner, replan="on-failure")
    )
    result = asyncio.run(executor.run())
    assert result.status == "succeeded", result.error
    assert all(secret not in m["content"] for m in planner.requests[0].messages)  # the model never saw it

    written = write_report(record.path, tmp_path / "out" / "replanned.html")
    text = written.html.read_text()
    assert leaked(text, secret) == []

    async def look(page):
        diff = page.locator("#revision-1 pre.diff")
        await diff.wait_for(state="visible", timeout=2000)
        call = page.locator("#call-1")
        completion = call.locator("details", has_text="completion")
        return {
            "diff": await diff.inner_text(),
            "reasoning": await page.locator("#revision-1").inner_text(),
            "call": await call.locator("summary").first.inner_text(),
            "completion_open": await completion.evaluate("d => d.open"),
            "completion": await completion.locator("pre").text_content(),
            "add": await page.locator("#step-add summary").inner_text(),
            "nodes": await page.locator(".graph a.node").evaluate_all("ns => ns.map(n => n.dataset.step)"),
        }

    found, outside = open_in_chromium(written.html, look)
    assert outside == []
    assert "- step add" in found["diff"] and '+ step alt "Open the Acme Wireless Mouse instead"' in found["diff"]
    assert "Plan: 2 to add, 0 to change, 1 to remove." in found["diff"]
    assert "The Globex Ergonomic Mouse is out of stock" in found["reasoning"]
    assert found["call"].startswith("#1 planner · replan") and not found["completion_open"]
    assert "remove step add" in found["completion"]
    assert "failed" in found["add"] and "removed by a revision" in found["add"]
    assert set(found["nodes"]) == {"home", "signin", "open", "add", "alt", "add_alt", "peek", "total", "report"}
    assert "q=***" in text  # the address the search gave back, masked as the log has it


def test_a_resumed_run_shows_both_parts_and_exec_report_writes_it(tmp_path, shop):
    head = f'plan "Cart total"\n\nsite shop = "{shop.url}"\n\nstep home "Open the product":\n    goto shop "/product/2"\n\n'
    broken = tmp_path / "plan.pa"
    broken.write_text(head + 'step name "Read its name" -> text:\n    extract css ".no-such"\n')
    runs = tmp_path / "runs"
    first = CliRunner().invoke(main, ["exec", str(broken), "--runs", str(runs), "--timeout", "1", "--json"])
    assert first.exit_code == 1, first.output
    record = json.loads(first.stdout)["record"]
    fixed = tmp_path / "fixed.pa"
    fixed.write_text(head + 'step name "Read its name" -> text:\n    extract heading first\n')
    again = CliRunner().invoke(main, ["exec", str(fixed), "--resume", record, "--report"])
    assert again.exit_code == 0, again.output
    assert f"report: {Path(record) / 'report.html'}" in again.output

    view = collect_run(record)
    assert [p["event"] for p in view.parts] == ["run_started", "run_resumed"] and view.status == "succeeded"
    assert [a.status for a in view.steps["name"].attempts] == ["failed", "done"]

    async def look(page):
        await page.locator('.graph a.node[data-step="name"]').click()
        return {
            "parts": await page.locator("h2", has_text="Parts of the run").count(),
            "rows": await page.locator("h2:has-text('Parts of the run') + table tr").count(),
            "name": await page.locator("#step-name .body").inner_text(),
            "revision": await page.locator("#revision-1 > summary").inner_text(),
        }

    found, outside = open_in_chromium(Path(record) / "report.html", look)
    assert outside == [] and found["parts"] == 1 and found["rows"] == 3  # a header and two parts
    assert (
        "attempt in the first run (part 1)" in found["name"] and "attempt in the resumed run (part 2)" in found["name"]
    )
    assert "the plan given to resume the run" in found["revision"]


def test_a_damaged_record_still_gives_a_report_with_its_gaps_named(demo_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(demo_run[0], folder)
    (folder / "report.html").unlink()
    lines = (folder / "events.jsonl").read_text().splitlines(keepends=True)
    started = next(i for i, line in enumerate(lines) if '"step_started", "step": "open"' in line)
    kept = lines[: started + 1] + [lines[started + 1][:40]]  # killed mid-run, its last line cut short
    (folder / "events.jsonl").write_text("".join(kept))
    for step in ("open", "add", "total", "report"):  # not taken: the run was killed before
        (folder / "screenshots" / f"{step}.jpg").unlink()
    (folder / "screenshots" / "sort.jpg").unlink()  # and one that went missing
    (folder / "plan.r1.pa").write_text('plan "cut\n')  # a revision that does not parse

    result = CliRunner().invoke(main, ["report", str(folder), "--gif"])
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text()
    for gap in (
        f"events.jsonl line {started + 2} is cut short (the run was killed while writing it)",
        "step `open` started but never ended",
        "the run never finished",
        "the screenshot after step `sort` is missing",
        "plan.r1.pa does not parse",
    ):
        assert gap in result.output and gap in page, gap
    assert '<span class="badge incomplete">incomplete</span>' in page
    assert "screenshot after step `open`" not in page  # a step that never ended is not said to lack one
    # the steps not reached are there, as never started, and the graph is the last revision that parses
    view = collect_run(folder)
    assert view.steps["total"].status == "pending" and view.steps["open"].status == "unfinished"
    with Image.open(folder / "summary.gif") as gif:
        assert gif.n_frames == 5  # home signin search name price: sort's screenshot is gone

    shutil.rmtree(folder / "screenshots")
    bare = CliRunner().invoke(main, ["report", str(folder), "--gif", "-o", str(tmp_path / "bare.html")])
    assert bare.exit_code == 0 and "no animated summary:" in bare.output and "has no screenshots" in bare.output


@pytest.mark.parametrize("make", ["missing", "empty", "file", "parent"])
def test_a_folder_that_is_not_a_run_is_a_one_line_error_and_exit_2(tmp_path, demo_run, make):
    target = tmp_path / "x"
    if make == "empty":
        target.mkdir()
    elif make == "file":
        target.write_text("not a run")
    elif make == "parent":
        shutil.copytree(demo_run[0], target / "20261202-000000-abcdef")
    result = CliRunner().invoke(main, ["report", str(target)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("planact report: error: ") and "Traceback" not in result.output
    if make == "parent":
        assert "holds 1: give one of them" in line


def test_parallel_branches_stand_side_by_side_in_the_graph(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "plan.r0.pa").write_text(
        'plan "Two branches"\n\nsite shop = "http://127.0.0.1:8765"\n\n'
        'step home "Open the shop":\n    goto shop "/"\n\n'
        'step keyboards "Cheapest keyboard" -> number after home:\n    extract css ".price" first as number\n\n'
        'step chairs "Cheapest chair" -> number after home:\n    extract css ".price" first as number\n\n'
        'step report "Report" after keyboards, chairs:\n    answer "{keyboards} {chairs}"\n'
    )
    written = write_report(folder)
    svg = written.html.read_text()
    boxes = dict(re.findall(r'data-step="(\w+)".*?<rect x="[\d.]+" y="([\d.]+)"', svg))
    assert boxes["keyboards"] == boxes["chairs"] != boxes["home"] != boxes["report"]
    assert "events.jsonl is missing" in svg  # a folder with a plan and no log: the run never began


def test_bench_report_links_each_episode_to_its_run_report_with_a_thumbnail(demo_run, tmp_path):
    folder = tmp_path / "out" / "runs" / "replay" / "demo-001-s0" / demo_run[0].name
    shutil.copytree(demo_run[0], folder)
    (folder / "report.html").unlink()
    rows = [
        {"benchmark": "demo", "agent": "replay", "task": "demo-001", "seed": 0, "success": True, "status": "ok",
         "steps": 10, "seconds": 3.0, "record": str(folder)},
        {"benchmark": "demo", "agent": "replay", "task": "demo-001", "seed": 1, "success": False, "status": "error",
         "error": "boom", "record": None},
    ]  # fmt: skip
    results = tmp_path / "out" / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = CliRunner().invoke(main, ["bench", "report", str(results)])
    assert out.exit_code == 0, out.output
    assert "| replay | all | 2 | 50% (1/2) |" in out.stdout  # the table as before
    page = (tmp_path / "out" / "report.html").read_text()
    href = f"runs/replay/demo-001-s0/{folder.name}/report.html"
    assert f'class="ep success" href="{href}"' in page and 'class="ep error"' in page
    assert 'src="data:image/jpeg;base64,' in page and (folder / "report.html").is_file()

    async def follow(page):
        await page.locator("a.ep").click()
        await page.wait_for_load_state("load")
        return page.url, await page.locator("details.step").count()

    (url, steps), outside = open_in_chromium(tmp_path / "out" / "report.html", follow)
    assert outside == [] and url.endswith("/report.html") and steps == len(DEMO_STEPS)
