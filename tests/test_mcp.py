"""`planact mcp`: the SDK's real client over stdio (and once over HTTP) against the real server and Chromium."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from setup_state import needs_browser

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters, types  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared.exceptions import McpError  # noqa: E402

from planact.demo.server import serve_demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "plans" / "demo" / "01-cheapest-mouse.pa"
SECRET = "wonderland"
BAD_PLAN = 'plan "Broken"\n\nstep a "Open it":\n    goto nowhere "/"\n    click button "{missing}"\n'


@asynccontextmanager
async def client(*args: str, env: dict[str, str] | None = None):
    """A ClientSession on a `planact mcp` child process over stdio."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "planact", "mcp", *args], env={**os.environ, **(env or {})}
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def every_text(result: types.CallToolResult) -> str:
    """All a tool result says: its text content and its structured content."""
    texts = [c.text for c in result.content if isinstance(c, types.TextContent)]
    return "\n".join(texts) + json.dumps(result.structuredContent or {})


def test_tools_are_listed_with_schemas_and_annotations(tmp_path):
    async def scenario():
        async with client("--runs", str(tmp_path / "runs")) as session:
            return (await session.list_tools()).tools, (await session.list_resources()).resources

    tools, resources = asyncio.run(scenario())
    by_name = {t.name: t for t in tools}
    assert set(by_name) == {"lint", "format", "diff", "graph", "language", "observe", "run_plan", "plan"}
    assert by_name["lint"].annotations.readOnlyHint and not by_name["lint"].annotations.destructiveHint
    assert by_name["run_plan"].annotations.destructiveHint and not by_name["run_plan"].annotations.readOnlyHint
    assert {"text", "path"} <= set(by_name["lint"].inputSchema["properties"])
    assert "inputs" in by_name["run_plan"].inputSchema["properties"]
    uris = {str(r.uri) for r in resources}
    assert "planact://stdlib/web.pa" in uris and "planact://plans/demo/01-cheapest-mouse.pa" in uris
    assert "planact://runs" in uris


def test_lint_format_graph_language_and_bad_input(tmp_path):
    async def scenario():
        async with client("--runs", str(tmp_path / "runs")) as session:
            lint = await session.call_tool("lint", {"text": BAD_PLAN})
            clean = await session.call_tool("lint", {"path": str(DEMO)})
            missing = await session.call_tool("lint", {"path": str(tmp_path / "nope.pa")})
            secret_file = tmp_path / "notes.txt"
            secret_file.write_text("hunter2\n")
            (tmp_path / "link.pa").symlink_to(secret_file)
            not_plans = [await session.call_tool("lint", {"path": str(p)}) for p in (secret_file, tmp_path / "link.pa")]
            both = await session.call_tool("lint", {"text": BAD_PLAN, "path": str(DEMO)})
            junk = await session.call_tool("graph", {"text": 'plan "x"\nstep', "form": "svg"})
            unparsable = await session.call_tool("format", {"text": "plan ???"})
            fmt = await session.call_tool("format", {"text": 'plan   "x"\nstep a "Go":\n        wait 1\n'})
            graph = await session.call_tool("graph", {"path": str(DEMO), "form": "mermaid"})
            diff = await session.call_tool("diff", {"old_path": str(DEMO), "new_text": DEMO.read_text() + "\n"})
            explain = await session.call_tool("language", {"code": "PA204"})
            reference = await session.call_tool("language", {})
            no_model = await session.call_tool("plan", {"goal": "Buy a mouse"})
            assert no_model.isError and "--model" in every_text(no_model)
            alive = await session.call_tool("lint", {"text": 'plan "ok"\nstep a "Wait":\n    wait 1\n'})
            return lint, clean, missing, not_plans, both, junk, unparsable, fmt, graph, diff, explain, reference, alive

    lint, clean, missing, not_plans, both, junk, unparsable, fmt, graph, diff, explain, reference, alive = asyncio.run(
        scenario()
    )
    for refused in not_plans:  # only plan files are read: no other file's text comes back in a diagnostic
        assert refused.isError and "must name a plan file" in every_text(refused)
        assert "hunter2" not in every_text(refused)
    found = lint.structuredContent["diagnostics"]
    assert {d["code"] for d in found} >= {"PA204"} and not lint.structuredContent["ok"]
    assert all({"code", "severity", "message", "line", "col", "help"} <= set(d) for d in found)
    assert found[0]["line"] == 4 and found[0]["col"] > 0
    assert clean.structuredContent["ok"], clean.structuredContent
    for bad in (missing, both, junk, unparsable):
        assert bad.isError and "Traceback" not in every_text(bad)
    assert "cannot read" in every_text(missing) and "exactly one" in every_text(both)
    assert fmt.structuredContent["changed"] and fmt.structuredContent["text"].startswith('plan "x"\n')
    assert "flowchart" in graph.structuredContent["text"] or "graph" in graph.structuredContent["text"]
    assert diff.structuredContent["equal"]
    assert "PA204" in explain.structuredContent["code"] and explain.structuredContent["explain"]
    ref = reference.structuredContent
    assert "define step login" in ref["stdlib"] and "goto" in ref["reference"] and "PA501" in ref["codes"]
    assert alive.structuredContent["ok"]  # the server survived the bad calls


def _demo_plan(tmp_path: Path, url: str) -> Path:
    plan = tmp_path / "mouse.pa"
    plan.write_text(DEMO.read_text().replace("http://127.0.0.1:8765", url))
    return plan


@needs_browser
def test_observe_and_run_a_demo_plan_with_a_secret_never_returned(tmp_path):
    results = []
    reports = []
    progress = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async def scenario(url: str, plan: Path):
        env = {"PLANACT_SECRET_PASSWORD": SECRET}
        async with client("--site", f"shop={url}", "--runs", str(tmp_path / "runs"), env=env) as session:
            results.append(await session.call_tool("observe", {"url": url + "/login"}))
            results.append(await session.call_tool("observe", {"url": "http://example.com/"}))
            results.append(await session.call_tool("language", {}))
            run = await session.call_tool("run_plan", {"path": str(plan)}, progress_callback=on_progress)
            results.append(run)
            runs = await session.read_resource("planact://runs")
            name = Path(run.structuredContent["record"]).name
            reports.append(await session.read_resource(f"planact://runs/{name}/report"))
            return run, runs

    with serve_demo() as server:
        run, runs = asyncio.run(scenario(server.url, _demo_plan(tmp_path, server.url)))
    seen, outside, language = results[0], results[1], results[2]
    assert "[ref=e" in seen.structuredContent["text"] and 'textbox "' in seen.structuredContent["text"]
    assert outside.isError and "not on a site" in every_text(outside)
    assert language.structuredContent["secrets"] == ["password"]
    summary = run.structuredContent
    assert summary["status"] == "succeeded", summary
    assert summary["answer"].startswith("Acme Wireless Mouse for 24.09")
    assert summary["outputs"]["price"] > 0 and summary["steps"]["add"] == "done"
    assert 'step add "Add it to the cart"' in summary["grounded_plan"]
    record = Path(summary["record"])
    assert record.parent == tmp_path / "runs" and (record / "events.jsonl").exists()
    assert len(progress) == 10 and progress[-1][:2] == (10, 10)
    assert str(record) in runs.contents[0].text
    assert f"planact://runs/{record.name}/report" in runs.contents[0].text
    report = reports[0].contents[0].text  # the run's report, as `planact report` writes it
    assert report.startswith("<!doctype html>") and "Acme Wireless Mouse" in report and SECRET not in report
    for result in results:
        assert SECRET not in every_text(result)
    assert SECRET not in (record / "events.jsonl").read_text()


@needs_browser
def test_a_plan_declaring_another_origin_is_refused(tmp_path):
    plan = 'plan "Elsewhere"\nsite evil = "http://127.0.0.1:9"\nstep a "Go":\n    goto evil "/"\n'

    async def scenario():
        async with client("--site", "shop=http://127.0.0.1:8765", "--runs", str(tmp_path / "runs")) as session:
            return await session.call_tool("run_plan", {"text": plan})

    result = asyncio.run(scenario())
    assert result.structuredContent["status"] == "refused"
    (refusal,) = result.structuredContent["diagnostics"]
    assert refusal["code"] == "PA501" and refusal["line"] == 2 and "127.0.0.1:8765" in refusal["help"]
    assert not (tmp_path / "runs").exists()  # nothing ran


@needs_browser
def test_a_cancelled_run_stops_and_can_be_resumed(tmp_path):
    text = (
        'plan "Pause"\nsite shop = "URL"\n\nstep home "Open the shop":\n    goto shop "/"\n\n'
        'step pause "Wait a long time":\n    wait 50\n\nstep report "Say so":\n    answer "done"\n'
    )
    runs = tmp_path / "runs"

    async def scenario(url: str):
        started = asyncio.Event()

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            started.set()

        async with client("--site", f"shop={url}", "--runs", str(runs)) as session:
            request_id = session._request_id  # the id call_tool's request will get
            call = asyncio.create_task(
                session.call_tool("run_plan", {"text": text.replace("URL", url)}, progress_callback=on_progress)
            )
            await asyncio.wait_for(started.wait(), 60)
            t0 = time.monotonic()
            await session.send_notification(types.ClientNotification(types.CancelledNotification(
                params=types.CancelledNotificationParams(requestId=request_id, reason="test"),
            )))  # fmt: skip
            with pytest.raises(McpError):
                await asyncio.wait_for(call, 30)
            return time.monotonic() - t0

    with serve_demo() as server:
        waited = asyncio.run(scenario(server.url))
        assert waited < 20  # it did not wait out the 50 s
        (record,) = runs.iterdir()
        deadline = time.monotonic() + 20
        while "run_cancelled" not in (record / "events.jsonl").read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        events = [json.loads(line) for line in (record / "events.jsonl").read_text().splitlines()]
        assert [e["step"] for e in events if e["event"] == "step_finished"] == ["home"]
        assert events[-1]["event"] == "run_cancelled" and (record / "plan.r0.pa").exists()
        fixed = tmp_path / "pause.pa"  # the unfinished step may change on resume
        fixed.write_text(text.replace("URL", server.url).replace("wait 50", "wait 0.1"))
        done = subprocess.run(
            [sys.executable, "-m", "planact", "exec", str(fixed), "--resume", str(record), "--json", "--trace", "off"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded" and summary["answer"] == "done", done.stderr
    assert summary["record"] == str(record)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http_serves_the_same_tools(tmp_path):
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "planact", "mcp", "--port", str(port), "--runs", str(tmp_path / "runs")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    async def scenario():
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        url = f"http://127.0.0.1:{port}/mcp"
        async with streamable_http_client(url) as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            return tools, await session.call_tool("lint", {"text": BAD_PLAN})

    try:
        tools, lint = asyncio.run(scenario())
    finally:
        child.terminate()
        child.wait(10)
    assert "run_plan" in {t.name for t in tools}
    assert "PA204" in {d["code"] for d in lint.structuredContent["diagnostics"]}


@needs_browser
def test_a_run_past_the_time_bound_is_stopped_and_kept(tmp_path):
    runs = tmp_path / "runs"

    async def scenario(url: str):
        plan = f'plan "Pause"\nsite shop = "{url}"\nstep home "Open":\n    goto shop "/"\nstep pause "Wait":\n    wait 50\n'
        async with client("--site", f"shop={url}", "--runs", str(runs), "--max-seconds", "3") as session:
            t0 = time.monotonic()
            result = await session.call_tool("run_plan", {"text": plan})
            return result, time.monotonic() - t0

    with serve_demo() as server:
        result, took = asyncio.run(scenario(server.url))
    summary = result.structuredContent
    assert summary["status"] == "stopped" and "longer than 3 s" in summary["error"] and took < 20
    assert Path(summary["record"]).parent == runs and "--resume" in summary["resume"]
    assert "run_cancelled" in (Path(summary["record"]) / "events.jsonl").read_text()
