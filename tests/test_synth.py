"""Synthetic data end to end: the demo plans are run and recorded as trajectories in headless Chromium,
a teacher (ScriptedModel: tests need exact answers) grounds them into plans that are replayed against
the live demo shop, then replanning examples, expansion, export and stats.  Broken teacher answers are
each rejected with their reason and leave nothing half-written."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from setup_state import needs
from test_exec_e2e import HAVE_BROWSER

from planact.cli import DEMO_SECRETS, main
from planact.demo.server import serve_demo
from planact.models.base import ScriptedModel
from planact.models.prompts import detect_form
from planact.syntax.parser import parse, parse_patch, parse_reply
from planact.synth.examples import as_seen, executor_examples, planner_example, react_examples, replan_examples
from planact.synth.expand import Expander, expand, seed_pairs
from planact.synth.ground import LEDGER, Teacher, ground_all, own_header
from planact.synth.trajectory import (
    Page,
    Trajectory,
    TrajectoryAction,
    TrajectoryError,
    read_trajectories,
    revealed_by,
)

needs_browser = pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")
DEMO = sorted((Path(__file__).parent.parent / "plans" / "demo").glob("*.pa"))
_NUMBERED = re.compile(r"^(\d+)\. (.*?)(?:    # (\S+))?$", re.MULTILINE)


def listed_actions(messages) -> list[tuple[str, str | None]]:
    """The numbered actions (and the URL after each) of a grounding prompt."""
    prompt = next(m["content"] for m in messages if m["role"] == "user")
    return [(m.group(2), m.group(3)) for m in _NUMBERED.finditer(prompt)]


def task_of(messages) -> str:
    prompt = next(m["content"] for m in messages if m["role"] == "user")
    return prompt.split("\n", 1)[0].removeprefix("Task: ")


def plan_text(task: str, steps: list[list[str]]) -> str:
    lines = [f"plan {json.dumps(task)}", ""]
    for n, actions in enumerate(steps, 1):
        lines.append(f'step part{n} "Carry out part {n} of the task":')
        lines += [f"    {a}" for a in actions]
        lines.append("")
    return "\n".join(lines)


def good_teacher(messages) -> str:
    """A correct answer: a new step wherever the page's URL changed (the grouping a person might choose)."""
    steps: list[list[str]] = []
    last = None
    for action, url in listed_actions(messages):
        if not steps or (url != last and len(steps[-1]) > 1):
            steps.append([])
        steps[-1].append(action)
        last = url
    return plan_text(task_of(messages), steps)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The demo plans run once each with page recording, as `planact record` does; the live shop stays up."""
    folder = tmp_path_factory.mktemp("synth")
    with serve_demo() as server:
        (folder / "plans").mkdir()
        for path in DEMO:  # pointed at the live shop (some plans also name its URL in a `tab open`)
            (folder / "plans" / path.name).write_text(path.read_text().replace("http://127.0.0.1:8765", server.url))
        plans = sorted(str(p) for p in (folder / "plans").glob("*.pa"))
        args = ["record", *plans, "-o", str(folder / "demo.traj.jsonl"), "--runs", str(folder / "runs"), "--json"]
        for name, value in DEMO_SECRETS.items():
            args += ["--secret", f"{name}={value}"]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        yield folder, server, result


@needs_browser
def test_record_writes_a_trajectory_per_demo_plan_with_pages_and_no_secret(recorded):
    folder, _, result = recorded
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["trajectories"] == len(DEMO) >= 8
    text = (folder / "demo.traj.jsonl").read_text()
    assert all(value not in text for value in DEMO_SECRETS.values())
    trajectories = list(read_trajectories(folder / "demo.traj.jsonl"))
    assert all(t.status == "succeeded" and len(t.actions) >= 5 for t in trajectories)
    first = trajectories[0]
    assert first.secrets == ["password"] and list(first.sites) == ["shop"]
    texts = first.texts()
    assert any("wireless mouse" in t for t in texts)  # the input's value written in
    assert any(t.startswith("fill") and t.endswith("with password") for t in texts)  # a secret stays by name
    assert first.start_page is not None and all(a.page_after is not None for a in first.actions)
    assert "[ref=e" in first.actions[0].page_after.tree
    # the text of the element acted on is kept (a target the executor can be taught where it has no ref)
    assert any(a.element_text and a.element_text in t for a, t in zip(first.actions, texts, strict=True))


@needs_browser
def test_ground_replays_kept_plans_against_the_shop_and_the_pipeline_exports(recorded, monkeypatch):
    folder, server, _ = recorded
    out = folder / "data"
    trajectories = list(read_trajectories(folder / "demo.traj.jsonl"))
    # one trajectory whose recorded answer the replay cannot reproduce
    wrong = trajectories[0].model_copy(update={"id": "wrong-answer", "answer": "something else"})
    monkeypatch.setattr("planact.cli.synth._teacher_model", lambda spec: ScriptedModel(good_teacher, name="teacher"))
    traj_file = folder / "with-wrong.traj.jsonl"
    traj_file.write_text("".join(t.model_dump_json() + "\n" for t in [*trajectories, wrong]))
    secrets = [a for name, value in DEMO_SECRETS.items() for a in ("--secret", f"{name}={value}")]
    result = CliRunner().invoke(main, ["synth", "ground", str(traj_file), "-o", str(out), "--json", *secrets])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["kept"] == len(trajectories) and summary["dropped"] == 1
    [dropped] = [r for r in summary["results"] if not r["kept"]]
    assert dropped["id"] == "wrong-answer" and "the replay answered" in dropped["reason"]
    assert all(r["replayed"] is True for r in summary["results"] if r["kept"])
    for entry in summary["results"]:
        if entry["kept"]:
            plan = parse((out / entry["plan"]).read_text())
            assert [a for s in plan.steps for a in s.actions] and len(plan.steps) == entry["steps"] >= 2

    again = CliRunner().invoke(main, ["synth", "ground", str(traj_file), "-o", str(out), "--json", *secrets])
    assert json.loads(again.stdout)["already_done"] == len(trajectories) + 1  # resumed: nothing redone

    assert CliRunner().invoke(main, ["synth", "replans", str(out)]).exit_code == 0
    replans = [json.loads(line) for line in (out / "replans.jsonl").read_text().splitlines()]
    assert len(replans) == sum(len(t.actions) for t in trajectories)  # one per action index

    export = folder / "export"
    result = CliRunner().invoke(main, ["synth", "export", str(out), "-o", str(export)])
    assert result.exit_code == 0, result.output
    for name, check in (("planner.jsonl", parse), ("replanner.jsonl", None), ("executor.jsonl", parse_reply)):
        lines = [json.loads(line) for line in (export / name).read_text().splitlines()]
        assert lines, name
        for line in lines:
            roles = [m["role"] for m in line["messages"]]
            assert roles == ["system", "user", "assistant"] and set(line) == {"messages"}, name
            answer = line["messages"][-1]["content"]
            if check is not None:
                check(answer)
            else:
                parse(answer) if answer.startswith("plan") else parse_patch(answer)
    card = (export / "README.md").read_text()
    assert f"| planner, from grounded plans | {len(trajectories)} |" in card

    result = CliRunner().invoke(main, ["synth", "stats", str(out), "--json"])
    numbers = json.loads(result.stdout)
    assert numbers["trajectories"] == len(trajectories) + 1 and numbers["grounded_kept"] == len(trajectories)
    assert numbers["lint_reject_rate"] == 0 and numbers["replayed"] == len(trajectories) + 1
    assert numbers["replay_success_rate"] == round(len(trajectories) / (len(trajectories) + 1), 3)
    assert numbers["replanning_examples"] == len(replans) and numbers["executor_examples"] == len(replans)
    assert numbers["steps_per_plan"]["min"] >= 2


# ---------------------------------------------------------------- broken teacher answers (no browser)


def small_trajectory() -> Trajectory:
    return Trajectory(
        id="small",
        task="Add the mouse to the cart",
        start_url="http://127.0.0.1:8765",
        sites={"shop": "http://127.0.0.1:8765"},
        secrets=["password"],
        actions=[
            TrajectoryAction(action='goto shop "/"', url="http://127.0.0.1:8765/"),
            TrajectoryAction(action='fill textbox "Password" with password'),
            TrajectoryAction(type="type", target='searchbox "Search"', argument="mouse"),
            TrajectoryAction(type="press", argument="Enter", url="http://127.0.0.1:8765/search?q=mouse"),
            TrajectoryAction(type="click", target='link "Acme Wireless Mouse"', url="http://127.0.0.1:8765/product/1"),
            TrajectoryAction(type="click", target='button "Add to cart"'),
        ],
    )


GOOD = [
    ['goto shop "/"', 'fill textbox "Password" with password'],
    ['fill searchbox "Search" with "mouse"', 'press "Enter"'],
    ['click link "Acme Wireless Mouse"', 'click button "Add to cart"'],
]

BROKEN = {
    "unparsable": ("step one Open the shop\n  goto", "the plan does not parse"),
    "missing action": (plan_text("t", [GOOD[0], GOOD[1], GOOD[2][:1]]), "action 6 of the trajectory"),
    "changed action": (
        plan_text("t", [GOOD[0], GOOD[1], ['click link "Acme Wireless Mouse"', 'click button "Buy now"']]),
        'has `click button "Buy now"`, which is not an action of the trajectory',
    ),
    "duplicated action": (plan_text("t", [GOOD[0], GOOD[1] + GOOD[1][-1:], GOOD[2]]), "more times than"),
    "wrong spans": (plan_text("t", [GOOD[0], GOOD[2], GOOD[1]]), "the actions are out of order"),
    "non-contiguous": (
        plan_text("t", [[*GOOD[0], GOOD[1][1]], [GOOD[1][0]], GOOD[2]]),
        "step `part1` is not a contiguous span: it takes actions 1 and 4 of the trajectory but action 3 is in step `part2`",
    ),
    "empty step": (plan_text("t", GOOD) + 'step check "Check the cart"\n', "step `check` has no actions"),
    "loop": (
        plan_text("t", GOOD).replace(
            'step part3 "Carry out part 3 of the task":', 'step part3 "Go" for x in [1] max 1:'
        ),
        "a straight line",
    ),
    "lint problem": (
        plan_text("t", GOOD).replace('"Carry out part 2 of the task"', '"Search for {nothing}"'),
        "does not lint clean",
    ),
    "no plan": ("", "holds no plan"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_teacher_answer_is_dropped_with_its_reason_and_nothing_is_written(tmp_path, case):
    answer, reason = BROKEN[case]
    teacher = Teacher(ScriptedModel([answer], name="teacher"), attempts=1)
    [result] = ground_all([small_trajectory()], teacher, tmp_path, replay_mode="never")
    assert not result.kept and reason in result.reason, result.reason
    assert [json.loads(line)["id"] for line in (tmp_path / LEDGER).read_text().splitlines()] == ["small"]
    assert not (tmp_path / "grounded").exists() or not list((tmp_path / "grounded").iterdir())


def test_a_rejected_answer_goes_back_to_the_teacher_with_its_reason(tmp_path):
    model = ScriptedModel([BROKEN["non-contiguous"][0], plan_text("t", GOOD)], name="teacher")
    [result] = ground_all([small_trajectory()], Teacher(model, attempts=2), tmp_path, replay_mode="never")
    assert result.kept and len(result.rejections) == 1 and "contiguous" in result.rejections[0]
    assert "not a contiguous span" in model.requests[1].messages[-1]["content"]
    plan = parse((tmp_path / result.plan).read_text())
    assert plan.title.text == "Add the mouse to the cart"  # the engine's facts: title, site, secret input
    assert [s.name.name for s in plan.sites] == ["shop"] and [i.name.name for i in plan.inputs] == ["password"]


def test_a_killed_grounding_run_resumes_without_redoing_or_half_written_files(tmp_path):
    second = small_trajectory().model_copy(update={"id": "second"})
    calls = []

    def teacher(messages):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed while the teacher answers the second trajectory
        return plan_text("t", GOOD)

    with pytest.raises(KeyboardInterrupt):
        ground_all([small_trajectory(), second], Teacher(ScriptedModel(teacher)), tmp_path, replay_mode="never")
    assert sorted(p.name for p in (tmp_path / "grounded").iterdir()) == ["small.pa", "small.trajectory.json"]
    results = ground_all([small_trajectory(), second], Teacher(ScriptedModel(teacher)), tmp_path, replay_mode="never")
    assert [r.id for r in results] == ["second"] and results[0].kept and len(calls) == 3
    assert [json.loads(x)["id"] for x in (tmp_path / LEDGER).read_text().splitlines()] == ["small", "second"]


def test_failed_and_unreadable_trajectories_are_dropped_with_reasons(tmp_path):
    failed = small_trajectory().model_copy(update={"id": "failed", "status": "failed"})
    bad = small_trajectory().model_copy(update={"id": "bad"})
    bad.actions[2] = TrajectoryAction(type="teleport", target='link "x"')
    results = ground_all([failed, bad], Teacher(ScriptedModel([])), tmp_path, replay_mode="never")
    assert "did not succeed" in results[0].reason
    assert "action 3: `teleport link" in results[1].reason and "not an action of the plan language" in results[1].reason


def test_webarena_style_actions_and_a_corrupt_line_name_the_file_and_line(tmp_path):
    traj = small_trajectory()
    assert traj.texts()[2] == 'fill searchbox "Search" with "mouse"' and traj.texts()[3] == 'press "Enter"'
    path = tmp_path / "t.jsonl"
    path.write_text(traj.model_dump_json() + "\n" + '{"task": "x", "actions": []}\n')
    with pytest.raises(TrajectoryError, match=r"t.jsonl:2: start_url: Field required"):
        list(read_trajectories(path))
    result = CliRunner().invoke(
        main, ["synth", "ground", str(path), "-o", str(tmp_path / "o"), "--model", "local:/nope.gguf"]
    )
    assert result.exit_code == 1 and "t.jsonl:2" in result.output and "Traceback" not in result.output


def test_replanning_and_executor_examples_follow_the_true_future_actions():
    traj = small_trajectory()
    plan = own_header(parse(plan_text(traj.task, GOOD)), traj)
    examples = replan_examples(plan, traj, form="remainder", grounded=True)
    assert len(examples) == 6
    mid = examples[3]  # the second action of step part2: part1 done, part2 under way
    prompt, answer = mid["messages"][1]["content"], mid["messages"][2]["content"]
    assert "step part1" in prompt and "# done" in prompt and "is under way" in prompt
    remaining = parse(answer)
    assert [s.id.name for s in remaining.steps] == ["part2", "part3"]
    assert [len(s.actions) for s in remaining.steps] == [1, 2]  # the rest of part2, then part3
    patches = replan_examples(plan, traj, form="patch")
    assert [s.id.name for s in parse_patch(patches[4]["messages"][2]["content"]).items] == ["part3"]
    assert executor_examples(plan, traj) == []  # no pages recorded: no executor examples


def test_a_step_an_output_reveals_is_added_by_the_replanner_not_foreseen_by_the_planner():
    """A step whose condition or loop reads another step's output (`if warning contains "Exit"`) runs or not
    by what the run reads; the planner is not taught to foresee it, the replanner is taught to add it once
    that output is in (and to keep it in the plan after), the executor sees it as the plan then stood."""
    source = parse(
        'plan "p"\ninput task: record {q: text}\n\nstep a "Read the form" -> text:\n    extract css "#f"\n\n'
        'step b "Cancel the warning" if a contains "Exit":\n    click css "#x"\n\n'
        'step c "Tick {w}" for w in a max 3 if task.q != w:\n    click css "#y"\n\n'
        'step d "Submit" if task.q != "":\n    click css "#s"\n'
    )
    assert revealed_by(source) == {"b": ["a"], "c": ["a"]}  # d reads the goal's input only: foreseeable
    traj = small_trajectory().model_copy(update={"revealed_by": {"part2": ["part1"], "gone": ["part1"]}})
    plan = own_header(parse(plan_text(traj.task, GOOD)), traj)
    planned = planner_example(plan, traj, form="compact")["messages"][-1]["content"]
    assert "step part1 " in planned and "part2" not in planned and "step part3 " in planned
    examples = replan_examples(plan, traj, prompts="compact")
    ids = [[i.id.name for i in parse_patch(e["messages"][-1]["content"]).items] for e in examples]
    shown = ["step part2 " in e["messages"][1]["content"] for e in examples]
    # actions: part1 x2, part2 x2, part3 x2; the replan after part1 finished (index 2) adds part2
    assert ids[:3] == [["part1", "part3"], ["part1", "part3"], ["part2", "part3"]]
    assert shown == [False, False, False, True, True, True]
    assert [bool(e.get("revises")) for e in examples] == [False, False, True, False, False, False]

    # what the revealing step read is on the first page already (the names at the top of a tree): foreseeable
    plan = parse('plan "Click Deneen"\n\nstep top "Read the names":\n    extract css "#top" as list of text\n\n'
                 'step open "Open the folder":\n    click css "#x"\n')  # fmt: skip
    for tree, foreseen in (('- listitem "Chas"\n- listitem "Alan"', True), ('- listitem "Chas"', False)):
        traj = Trajectory(
            task="Click Deneen", start_url="http://127.0.0.1:9/", revealed_by={"open": ["top"]},
            start_page=Page(url="http://127.0.0.1:9/", tree=tree),
            actions=[TrajectoryAction(action='extract css "#top" as list of text', value=["Chas", "Alan"]),
                     TrajectoryAction(action='click css "#x"')],
        )  # fmt: skip
        assert ("step open " in planner_example(plan, traj, form="compact")["messages"][-1]["content"]) is foreseen


# ---------------------------------------------------------------- expansion


SEED = 'plan "Find the price of {item}"\nsite shop = "http://127.0.0.1:8765"\n\nstep search "Search for {item}":\n    goto shop "/search?q={item}"\n\nstep price "Read the price" -> number:\n    extract text first within css ".price" as number\n\nstep report "Report it":\n    answer "{item}: {price}"\n'


def _seed_folder(tmp_path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for item in ("mouse", "keyboard", "monitor"):
        (seeds / f"{item}.pa").write_text(SEED.replace("{item}", item))
    return seeds


def test_expand_keeps_clean_new_pairs_rejects_the_rest_and_resumes(tmp_path):
    seeds = seed_pairs(_seed_folder(tmp_path))
    assert len(seeds) == 3
    forum = 'plan "Read the newest forum thread"\n\nstep forum "Open the forum":\n    goto shop "/forum"\n\nstep read "Open the newest thread":\n    click link first within css ".thread"\n'
    cart = (
        'plan "Empty the cart"\n\nstep cart "Open the cart":\n    goto shop "/cart"\n\nstep empty "Remove every item"\n'
    )
    new = [
        forum,  # new: kept
        SEED.replace("{item}", "mouse"),  # a seed again: near-duplicate
        SEED.replace("{item}", "keyboard").replace("Read the price", "Read its price"),  # near-duplicate
        'plan "Broken"\nstep x "y"\n    goto',  # does not parse
        'plan "Dup ids"\nstep a "One"\nstep a "Two"\n',  # does not lint clean
    ]
    model = ScriptedModel(["\n".join(new), cart])
    out = tmp_path / "out"
    pairs = expand(seeds, Expander(model, per_call=5, seeds_per_call=2), out, n=1)
    assert [p.goal for p in pairs] == ["Read the newest forum thread"]
    [call] = [json.loads(x) for x in (out / "expand.calls.jsonl").read_text().splitlines()]
    reasons = [r["reason"] for r in call["rejected"]]
    assert sum("near-duplicate" in r for r in reasons) == 2 and any("does not parse" in r for r in reasons)
    assert any("does not lint clean" in r for r in reasons)
    # resumed with a larger target: the calls continue, nothing is redone or duplicated
    pairs = expand(seeds, Expander(model, per_call=5, seeds_per_call=2), out, n=2)
    assert [p.goal for p in pairs] == ["Read the newest forum thread", "Empty the cart"]
    assert [p.call for p in pairs] == [0, 1] and len(model.requests) == 2
    assert parse(pairs[1].plan).sites[0].url.text == "http://127.0.0.1:8765"  # the seed's site, declared


def test_expand_cli_with_a_scripted_model_writes_pairs_and_stats_count_them(tmp_path, monkeypatch):
    seeds = _seed_folder(tmp_path)
    answers = iter(
        [
            'plan "Open the forum"\n\nstep forum "Open the forum":\n    goto shop "/forum"\n',
            'plan "Show my orders"\n\nstep orders "Open the order history":\n    goto shop "/orders"\n',
            'plan "Sort keyboards by price"\n\nstep search "Search for keyboards":\n    goto shop "/search?q=keyboard"\n\nstep sort "Sort by price, lowest first"\n',
        ]
    )
    monkeypatch.setattr("planact.cli.synth._teacher_model", lambda spec: ScriptedModel(lambda m: next(answers)))
    out = tmp_path / "data"
    result = CliRunner().invoke(
        main, ["synth", "expand", "--seeds", str(seeds), "-o", str(out), "-n", "3", "--per-call", "1"]
    )
    assert result.exit_code == 0, result.output
    numbers = json.loads(CliRunner().invoke(main, ["synth", "stats", str(out), "--json"]).stdout)
    assert numbers["expanded_pairs"] == 3 and numbers["expansion_calls"] == 3 and numbers["expansion_reject_rate"] == 0


@needs_browser
def test_the_recorded_steps_teacher_regroups_planact_runs_and_passes_every_gate(recorded):
    from planact.synth.ground import RecordedSteps

    folder, _, _ = recorded
    trajectories = list(read_trajectories(folder / "demo.traj.jsonl"))
    secrets = dict(DEMO_SECRETS)
    results = ground_all(trajectories, RecordedSteps(), folder / "recorded", secrets=secrets)
    assert [r.kept for r in results] == [True] * len(trajectories), [r.reason for r in results]
    assert all(r.replayed for r in results)
    first = parse((folder / "recorded" / results[0].plan).read_text())
    # the run's step intents, with its inputs written in (the plan said "Search the catalog for {query}")
    assert any("wireless mouse" in s.intent.text for s in first.steps), [s.intent.text for s in first.steps]
    lost = Trajectory(id="no-steps", task="x", start_url="http://127.0.0.1:1", actions=small_trajectory().actions)
    [result] = ground_all([lost], RecordedSteps(), folder / "recorded", replay_mode="never")
    assert not result.kept and "which step each action belonged to" in result.reason


def test_an_expansion_answer_cut_off_by_the_token_limit_keeps_its_whole_steps(tmp_path):
    import dataclasses

    class CutOff(ScriptedModel):  # a model that ran out of tokens mid-step
        def complete(self, messages, **kwargs):
            return dataclasses.replace(super().complete(messages, **kwargs), finish_reason="length")

    cut = (
        'plan "Open the forum"\n\nstep forum "Open the forum":\n    goto shop "/forum"\n\nstep read "Open the first thr'
    )
    pairs = expand(seed_pairs(_seed_folder(tmp_path)), Expander(CutOff([cut]), per_call=1), tmp_path / "out", n=1)
    assert [s.id.name for s in parse(pairs[0].plan).steps] == ["forum"]


@needs("data")
@needs_browser
def test_an_action_is_taught_as_the_page_shows_its_element():
    """The target of a recorded action becomes what the observation shows of the element acted on: role and
    name, `first` when the page shows that target again later, the ref where neither works (an element
    without a name, a role a target cannot name, a later one of twins, a name cut short)."""
    tree = "\n".join([
        '- textbox [ref=e1]', '- button "Ok" [ref=e2]', '- button "Ok" [ref=e3]', '- textbox "Name" [ref=e4]',
        '- clickable "x" [ref=e5]', '- link "A very long name th…" [ref=e6]', '- checkbox "B" [checked] [ref=e7]',
    ])  # fmt: skip
    page = Page(url="http://127.0.0.1:9/", tree=tree)
    seen = {ref: as_seen(TrajectoryAction(action='click css "#x"', ref=ref), page) for ref in
            ("e1", "e2", "e3", "e4", "e5", "e6", "e7", "e9")}  # fmt: skip
    assert seen == {
        "e1": 'click ref "e1"', "e2": 'click button "Ok" first', "e3": 'click ref "e3"',
        "e4": 'click textbox "Name"', "e5": 'click ref "e5"', "e6": 'click ref "e6"', "e7": 'click checkbox "B"',
        "e9": 'click css "#x"',  # not on the page shown: as recorded
    }  # fmt: skip
    assert (
        as_seen(TrajectoryAction(action='fill css "#n" with "Al"', ref="e4"), page) == 'fill textbox "Name" with "Al"'
    )


def test_an_element_with_no_ref_is_taught_by_its_text_where_the_page_shows_it_once():
    """An action on an element the observation shows without a ref (a datepicker's "Prev", an autocomplete's
    item) is taught as `text "…"` of the element's recorded text, when that text is a line of the page shown
    and no other line holds it (a `text` target finds every visible element that contains it, case aside);
    else, and for an extract (whose target is what it reads), the recorded CSS stays."""
    tree = "\n".join([
        '- text "Select 03/05/2016 as the date and hit forward."', '- textbox [ref=e1]', '- text "Prev"',
        '- text "Next"', '- clickable "Reply Forward" [ref=e2]', '- listitem "Antarctica"', '- text "2016"',
    ])  # fmt: skip
    page = Page(url="http://127.0.0.1:9/", tree=tree)

    def seen(action: str, text: str | None) -> str:
        return as_seen(TrajectoryAction(action=action, element_text=text), page)

    assert seen('click css ".ui-datepicker-prev"', "Prev") == 'click text "Prev"'
    assert seen('click css "li:text-matches(\\"ica$\\")" first', "Antarctica") == 'click text "Antarctica"'
    assert seen('hover css ".prev"', "Prev") == 'hover text "Prev"'
    assert seen('click css ".email-forward"', "Forward") == 'click css ".email-forward"'  # the goal holds it too
    assert seen('click css ".year"', "201") == 'click css ".year"'  # a part of two lines' text
    assert seen('click css ".x"', "Gone") == 'click css ".x"'  # not on the page shown
    assert seen('click css ".x"', None) == 'click css ".x"'
    assert seen('extract css ".y"', "2016") == 'extract css ".y"'
    cut = Page(url="http://127.0.0.1:9/", tree='- text "Prev"\n- paragraph "Somewhere a long text th…"')
    assert as_seen(TrajectoryAction(action='click css ".p"', element_text="Prev"), cut) == 'click css ".p"'


def test_generate_makes_examples_a_model_can_answer_from_its_page(tmp_path):
    """`synth generate miniwob` records successful episodes of training seeds and exports examples whose
    intents have the episode's values written in (no `{task.label}`) and whose targets are what the page
    shown shows of the element (its role and name, or its ref) (a loop's intent names the items it ran over); held-out seeds are refused; the compact export
    answers the planner's prompt with step lines."""
    out = tmp_path / "gen"
    tasks = "click-link,choose-date-easy,enter-text,click-checkboxes"
    args = ["synth", "generate", "miniwob", "--tasks", tasks, "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--seeds", "2", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["episodes"] == 8 and summary["successful"] == summary["kept"] == 8 and summary["dropped"] == 0
    examples = [json.loads(line) for line in (out / "export" / "executor.jsonl").read_text().splitlines()]
    planner = (out / "export" / "planner.jsonl").read_text()
    assert len(examples) == summary["examples"]["executor"] >= 6 and "{task." not in planner and "\\{" not in planner
    for example in examples:
        prompt, answer = example["messages"][-2]["content"], example["messages"][-1]["content"]
        assert "{task." not in prompt and "css " not in answer, answer
        for action in parse_reply(answer).actions:  # the element acted on, as the page shown names it
            target = action.target
            name = "".join(target.name.parts) if target.name else ""
            if target.kind == "ref":
                assert f"[ref={name}]" in prompt, answer
            else:  # its role and name (`button "Ok"`); an element with no name by its ref
                assert name and f'- {target.kind} "{name}"' in prompt, answer
    compact = CliRunner().invoke(main, ["synth", "export", str(out / "data"), "-o", str(tmp_path / "c"), "--prompts",
                                        "compact"])  # fmt: skip
    assert compact.exit_code == 0, compact.output
    for line in (tmp_path / "c" / "planner.jsonl").read_text().splitlines():
        prompt, answer = (m["content"] for m in json.loads(line)["messages"][1:])
        assert answer.startswith("step ") and "plan " not in answer and "site " not in answer
        if "click-checkboxes" in prompt:  # "Select A, B and click Submit." -> `step tick "Tick A, B"`
            ticked = re.search(r'step tick "Tick ([^"]*)"', answer).group(1).split(", ")
            assert ticked and all(word in prompt for word in ticked), answer
    replanner = (tmp_path / "c" / "replanner.jsonl").read_text().splitlines()
    assert detect_form(json.loads(line) for line in replanner) == "compact"
    again = CliRunner().invoke(main, [*args, "--seeds", "2", "--json"])  # a rerun resumes: nothing new to record
    assert again.exit_code == 0 and json.loads(again.stdout)["kept"] == 8
    held_out = CliRunner().invoke(main, [*args, "--seeds", "2", "--first-seed", "999"])
    assert held_out.exit_code == 1 and "held-out seeds (>= 1000)" in held_out.output


def test_stats_of_an_export_folder_give_token_lengths_per_role_and_examples_per_start_page(tmp_path):
    page = 'Page http://127.0.0.1:9/miniwob/{}.html "Task":\n- button "Ok" [ref=e1]\n'
    rows = [
        {"messages": [{"role": "system", "content": "You are the EXECUTOR."},
                      {"role": "user", "content": "Goal of the plan: Click Ok.\n\n" + page.format(task)},
                      {"role": "assistant", "content": 'click ref "e1"\ndone'}]}
        for task in ("click-button", "click-button", "click-link")
    ]  # fmt: skip
    (tmp_path / "react.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = CliRunner().invoke(main, ["synth", "stats", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    react = json.loads(result.stdout)["examples"]["react"]
    assert react["examples"] == 3 and react["per_page"] == {"click-button.html": 2, "click-link.html": 1}
    assert 20 < react["tokens"]["min"] <= react["tokens"]["median"] <= react["tokens"]["max"] < 200
    assert 3 <= react["answer_tokens"]["mean"] < 20 and react["over_1536_tokens"] == 0
    text = CliRunner().invoke(main, ["synth", "stats", str(tmp_path)]).stdout
    assert "react" in text and "3 examples" in text and "2 start pages" in text


def test_compact_executor_examples_answer_one_action_and_done_on_a_turn_of_its_own():
    """A fine-tuned executor (compact prompts) says `done` when it sees the page the step's last action left."""
    from planact.models.prompts import detect_form
    from planact.synth.trajectory import Page

    traj = small_trajectory()
    for i, action in enumerate(traj.actions):  # every page recorded: the page after action i is "page i+1"
        action.page_before = Page(url=f"http://127.0.0.1:8765/{i}", title=f"page {i}")
        action.page_after = Page(url=f"http://127.0.0.1:8765/{i + 1}", title=f"page {i + 1}")
    plan = own_header(parse(plan_text(traj.task, GOOD)), traj)
    full, compact = executor_examples(plan, traj), executor_examples(plan, traj, "compact")
    steps = len(plan.steps)
    assert len(full) == len(traj.actions) and len(compact) == len(traj.actions) + steps
    answers = [e["messages"][2]["content"] for e in compact]
    assert answers.count("done") == steps and all("\n" not in a for a in answers)  # one line each
    assert [a for a in answers if a != "done"] == [e["messages"][2]["content"].split("\ndone")[0] for e in full]
    first_done = answers.index("done")  # after part1's two actions: on page 2, both actions taken
    prompt = compact[first_done]["messages"][1]["content"]
    assert '"page 2"' in prompt and prompt.count("\ngoto ") + prompt.count("\nfill ") == 2
    assert detect_form(compact) == "compact" and detect_form(full) == "full"
    assert len(compact[0]["messages"][0]["content"]) < len(full[0]["messages"][0]["content"]) / 3


def test_executor_examples_leave_out_checks_but_keep_a_wait_for_what_the_page_does_not_show_yet():
    """An assert, and a wait for an element the page already shows, are not taught to the executor: the
    engine waits for a navigation an action starts, and asserts change nothing.  A wait for an element the
    page does not show yet stays; a step of checks only is `done` at once."""
    from planact.synth.examples import is_check
    from planact.synth.trajectory import Page

    shown = Page(
        url="http://127.0.0.1:8765/search?q=mouse", tree='- heading "Results" [level=1]\n- link "Acme" [ref=e1]'
    )
    empty = Page(url="http://127.0.0.1:8765/", tree='- searchbox "Search" [ref=e1]')
    checks = [
        ('wait for heading first', shown, True), ('wait for heading "Results"', shown, True),
        ('wait for heading "Other"', shown, False), ('wait for heading first', empty, False),
        ('assert page.url contains "search"', empty, True), ('assert visible link "Acme"', shown, True),
        ('wait for css ".spinner"', shown, False), ('click link "Acme"', shown, False),
    ]  # fmt: skip
    for action, page, expected in checks:
        assert is_check(TrajectoryAction(action=action), page) is expected, action

    traj = Trajectory(
        id="checks", task="Open the Acme result", start_url="http://127.0.0.1:8765",
        sites={"shop": "http://127.0.0.1:8765"},
        actions=[
            TrajectoryAction(action='fill searchbox "Search" with "mouse"', ref="e1", page_before=empty),
            TrajectoryAction(action='press "Enter" in searchbox "Search"', ref="e1", page_before=empty),
            TrajectoryAction(action="wait for heading first", page_before=shown),
            TrajectoryAction(action='assert page.url contains "search"', page_before=shown),
            TrajectoryAction(action='assert visible link "Acme"', page_before=shown),
            TrajectoryAction(action='click link "Acme"', ref="e1", page_before=shown),
        ],
    )  # fmt: skip
    text = 'plan "Open the Acme result"\nsite shop = "http://127.0.0.1:8765"\n\n'
    text += 'step search "Search for mouse":\n    fill searchbox "Search" with "mouse"\n    press "Enter" in searchbox "Search"\n    wait for heading first\n    assert page.url contains "search"\n\n'
    text += 'step check "Check the result is there":\n    assert visible link "Acme"\n\n'
    text += 'step open "Open the Acme result":\n    click link "Acme"\n'
    examples = executor_examples(parse(text), traj, "compact")
    turns = [(e["meta"]["step"], e["messages"][2]["content"]) for e in examples]
    assert turns == [
        ("search", 'fill searchbox "Search" with "mouse"'), ("search", 'press "Enter" in searchbox "Search"'),
        ("search", "done"), ("check", "done"), ("open", 'click link "Acme"'),
    ]  # fmt: skip
    done = examples[2]["messages"][1]["content"]  # on the results page, the two actions taken, no check
    assert '"Results"' in done and "wait for" not in done and "assert" not in done
    react = [e["messages"][2]["content"] for e in react_examples(traj, "compact")]
    assert react == ['fill searchbox "Search" with "mouse"', 'press "Enter" in searchbox "Search"', 'click link "Acme"']


@pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")
def test_a_retry_example_shows_the_executor_exactly_what_a_failed_ambiguous_answer_shows_it_at_run_time(tmp_path):
    """On a page with two "yes" buttons the taught action is `click button "yes" first`; the retry example
    is the turn after `click button "yes"` failed, and its prompt is the one the engine builds when a model
    gives that answer in real Chromium."""
    import asyncio

    from agent_helpers import run_text
    from playwright.async_api import async_playwright
    from test_exec_e2e import tiny_site

    from planact.browser.launch import find_browser
    from planact.browser.observe import observe
    from planact.run.executor import Agent
    from planact.run.grounding import references
    from planact.synth.examples import ambiguous_try

    html = "<title>Buttons</title><p>Pick one</p><button>yes</button><button>no</button><button>yes</button>"
    goal = 'Click on the "yes" button.'
    with tiny_site({"/": (200, html)}) as (url, _):

        async def seen() -> Page:
            choice = find_browser()
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=choice.executable, args=list(choice.args))
                page = await browser.new_page()
                await page.goto(url + "/")
                observed = await observe(page)
                await browser.close()
                return Page(url=observed.url, title=observed.title, tree=observed.tree)

        page = asyncio.run(seen())
        executor = ScriptedModel(['click button "yes"', 'click button "yes" first', "done"], prompts="compact")
        quoted = goal.replace('"', '\\"')
        head = f'plan "{quoted}"\ngoal "{quoted}"\n\nsite home = "{url}"\n\n'
        text = head + 'step open "Open the page":\n    goto home "/"\n\nstep click "Click the yes button"\n'
        result, _, _ = run_text(text, tmp_path, Agent(executor=executor))
    assert result.status == "succeeded", result.error
    runtime = executor.requests[1].messages  # the turn after the answer without `first` failed

    ref = next(r for r, shown in references(page.tree).items() if shown == ("button", "yes"))
    traj = Trajectory(
        id="yes", task=goal, start_url=url, sites={"home": url},
        actions=[TrajectoryAction(action='goto home "/"'),
                 TrajectoryAction(action='click button "yes" first', ref=ref, page_before=page)],
    )  # fmt: skip
    grounded = head + 'step open "Open the page":\n    goto home "/"\n\nstep click "Click the yes button":\n'
    grounded += '    click button "yes" first\n'
    examples = [e for e in executor_examples(parse(grounded), traj, "compact") if e["meta"]["step"] == "click"]
    assert [(e["messages"][2]["content"], e["meta"].get("retry", False)) for e in examples[:2]] == [
        ('click button "yes" first', False), ('click button "yes" first', True),
    ]  # fmt: skip
    assert examples[1]["messages"][:2] == runtime
    assert "2 elements match" in runtime[1]["content"]
    # only an action whose pick the page makes necessary has a retry
    assert ambiguous_try('click button "no"', page) is None and ambiguous_try('click button "no" first', page) is None
    assert ambiguous_try('fill textbox "x" with "y"', page) is None
