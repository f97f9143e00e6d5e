"""The demo shop's task families as generators (`planact synth generate demo`, `planact synth demo-tasks`):
held-out tasks never ask what training tasks ask, every generated plan lints clean, the generated tasks'
reference plans pass their own evaluators in real Chromium against the bundled shop, and the evaluators
fail an episode that did something else."""

import json
import shutil

from click.testing import CliRunner
from test_synth import needs_browser

from planact.check import lint_text
from planact.cli import main
from planact.synth.demo_tasks import FAMILIES, HELD_OUT_SEED, DemoTaskError, families, held_out, instances, plural


def test_held_out_tasks_are_held_out_by_content_and_every_seed_asks_something_new():
    for family in FAMILIES:
        train = instances([family], 60, 0)
        test = instances([family], 60, HELD_OUT_SEED)
        assert train and test, family
        assert not {i.content for i in train} & {i.content for i in test}, family
        assert not {i.intent for i in train} & {i.intent for i in test}, family
        assert all(not held_out(family, i.content) for i in train) and all(held_out(family, i.content) for i in test)
        assert len({i.content for i in train}) == len(train) and len({i.task_id for i in train}) == len(train)
    assert instances(["cart-add"], 3, 0) == instances(["cart-add"], 3, 0)  # the same on every run


def test_every_generated_plan_lints_clean_and_its_evaluator_names_what_the_intent_asks():
    for item in instances(list(FAMILIES), 25, 0) + instances(list(FAMILIES), 5, HELD_OUT_SEED):
        plan, diagnostics = lint_text(item.plan, f"{item.task_id}.pa")
        assert plan is not None and not [d for d in diagnostics if d.severity.name == "ERROR"], (item.plan, diagnostics)
        config = item.config()
        assert config["intent"] == item.intent and config["family"] == item.family and config["eval"]["eval_types"]
        if item.family in ("cart-add", "cart-edit"):  # "3 x Acme HDMI Cable": the product the intent names
            expected = config["eval"]["program_html"][0]["required_contents"]["exact_match"]
            title = expected.split(" x ", 1)[1]
            assert title in item.intent or plural(title) in item.intent, (expected, item.intent)


def test_names_are_checked_and_plurals_read_well():
    assert families("cart-add, navigation") == ["cart-add", "navigation"] and families(None) == list(FAMILIES)
    try:
        families("cart-add,checkout-everything")
    except DemoTaskError as err:
        assert "'checkout-everything'" in str(err) and "search-cheapest" in str(err)
    else:
        raise AssertionError("an unknown family was accepted")
    assert [plural(t) for t in ("Hooli Mini Mouse", "Acme USB Hub", "Globex Earbuds", "Acme HDMI Cable")] == [
        "Hooli Mini Mice", "Acme USB Hubs", "Globex Earbuds", "Acme HDMI Cables"
    ]  # fmt: skip
    result = CliRunner().invoke(main, ["synth", "demo-tasks", "-o", "unused", "--families", "nope"])
    assert result.exit_code == 1 and "no demo task family 'nope'" in result.output and "Traceback" not in result.output


@needs_browser
def test_generated_tasks_pass_their_evaluators_and_fail_when_the_episode_did_something_else(tmp_path):
    """One training task of every family through `synth generate demo` (recorded, gated, exported); held-out
    tasks through `synth demo-tasks` and `bench demo --task-file`: their reference plans pass, and each task
    run with another task's plan fails its evaluator."""
    out = tmp_path / "gen"
    every = ",".join(FAMILIES)
    result = CliRunner().invoke(main, ["synth", "generate", "demo", "--tasks", every, "--seeds", "1", "-o", str(out),
                                       "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["episodes"] == summary["successful"] == summary["kept"] == len(FAMILIES), summary
    planner = [json.loads(line) for line in (out / "export" / "planner.jsonl").read_text().splitlines()]
    intents = {t["intent"] for t in json.loads((out / "tasks.json").read_text())}
    assert {e["messages"][1]["content"].split("\n", 1)[0].removeprefix("Goal: ") for e in planner} <= intents
    assert summary["examples"]["executor"] >= 3 * len(FAMILIES)
    refused = CliRunner().invoke(main, ["synth", "generate", "demo", "--seeds", "2", "--first-seed", "999",
                                        "-o", str(out)])  # fmt: skip
    assert refused.exit_code == 1 and "held-out seeds (>= 1000)" in refused.output

    held = tmp_path / "held"
    written = CliRunner().invoke(main, ["synth", "demo-tasks", "-o", str(held), "--instances", "1", "--json"])
    assert written.exit_code == 0, written.output
    tasks = json.loads(written.stdout)
    assert [t["family"] for t in tasks] == list(FAMILIES) and all(t["seed"] >= HELD_OUT_SEED for t in tasks)
    assert not {t["intent"] for t in tasks} & intents
    task_file = str(held / "tasks.json")
    right = CliRunner().invoke(main, ["bench", "demo", "--task-file", task_file, "--plans", str(held / "plans"),
                                      "-o", str(tmp_path / "right"), "--json"])  # fmt: skip
    assert right.exit_code == 0, right.output
    rows = [json.loads(line) for line in (tmp_path / "right" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == len(FAMILIES) and all(r["success"] for r in rows), [(r["task"], r.get("error")) for r in rows]

    swapped = tmp_path / "swapped"  # every task gets the next family's plan: a different goal, reached
    swapped.mkdir()
    ids = [t["task_id"] for t in tasks]
    for task_id, other in zip(ids, ids[1:] + ids[:1], strict=True):
        shutil.copyfile(held / "plans" / f"{other}.pa", swapped / f"{task_id}.pa")
    wrong = CliRunner().invoke(main, ["bench", "demo", "--task-file", task_file, "--plans", str(swapped),
                                      "-o", str(tmp_path / "wrong"), "--json"])  # fmt: skip
    assert wrong.exit_code == 0, wrong.output
    rows = [json.loads(line) for line in (tmp_path / "wrong" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == len(FAMILIES) and not any(r["success"] for r in rows), [(r["task"], r["success"]) for r in rows]
