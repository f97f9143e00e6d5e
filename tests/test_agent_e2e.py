"""End to end: the Plan-and-Act loop on the demo shop, with ScriptedModel as planner and executor.

The browser, the shop, the parser, the linter, the graph and the patches are
all real; only the language model is a test double, so the answers are exact.
"""

import asyncio
import json
import subprocess
import sys

import pytest
from agent_helpers import executor_script, refs, run_text

from planact.browser.launch import BrowserNotFound, find_browser
from planact.browser.session import SessionOptions
from planact.check import lint_text
from planact.demo.catalog import PRODUCTS
from planact.demo.server import serve_demo
from planact.models import ScriptedModel
from planact.run.drafting import draft_plan
from planact.run.executor import Agent
from planact.run.grounding import as_given
from planact.run.records import RunRecord
from planact.syntax.format import format_action
from planact.syntax.parser import parse_reply

try:
    find_browser()
    HAVE_BROWSER = True
except BrowserNotFound:
    HAVE_BROWSER = False

pytestmark = pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")


@pytest.fixture(scope="module")
def shop():
    with serve_demo() as server:
        yield server


CHEAPEST_MOUSE = min((p for p in PRODUCTS if "mouse" in f"{p.title} {p.category}".lower()), key=lambda p: p.price)


def cheapest_plan(url: str) -> str:
    return f'''plan "The cheapest mouse"
goal "Find the name of the cheapest mouse in the shop"

site shop = "{url}"

input query: text = "mouse"

step home "Open the shop":
    goto shop "/"

step search "Search for {{query}}"

step sort "Sort the results by price, lowest first"

step name "Read the name of the first result" -> text

step report "Report it":
    answer "cheapest: {{name}}"
'''


def shop_executor(query: str = "query"):
    return executor_script({
        # two turns: type, then submit and say done
        "search": [
            lambda r: f'fill ref "{r[("searchbox", "Search")]}" with {query}',
            lambda r: f'click ref "{r[("button", "Search")]}"\ndone',
        ],
        "sort": [lambda r: f'select ref "{r[("combobox", "Sort by")]}" with "Price: low to high"\ndone'],
        "name": ['extract link first within css ".result"\ndone'],
    })  # fmt: skip


def test_model_grounds_steps_and_the_grounded_plan_replays_with_no_model(tmp_path, shop):
    executor = shop_executor()
    result, record, events = run_text(cheapest_plan(shop.url), tmp_path, Agent(executor=executor))
    assert result.status == "succeeded", result.error
    assert result.answer == f"cheapest: {CHEAPEST_MOUSE.title}"

    grounded = [e for e in events if e["event"] == "step_grounded"]
    assert [e["step"] for e in grounded] == ["search", "sort", "name"]
    assert grounded[0]["turns"] == 2 and not grounded[0]["healed"]
    model_actions = [e for e in events if e["event"] == "action" and e["source"] == "model"]
    assert len(model_actions) == 4
    calls = [e for e in events if e["event"] == "model_call"]
    assert len(calls) == len(executor.requests) == 4
    assert all(c["role"] == "executor" and c["completion_tokens"] > 0 for c in calls)
    assert result.tokens["calls"] == 4
    assert all(r.grammar == "reply" for r in executor.requests)
    # the executor saw the step, the plan with statuses, and a page with references
    first = executor.requests[0].messages[-1]["content"]
    assert 'Current step: search "Search for {query}"' in first and "[ref=e" in first and "# done" in first

    # written back with semantic targets: references mean nothing on a later visit
    text = (record.path / "plan.grounded.pa").read_text()
    plan, problems = lint_text(text)
    assert problems == [] and all(s.actions for s in plan.steps)
    assert 'ref "' not in text
    assert 'fill searchbox "Search" with query' in text
    assert 'select combobox "Sort by" with "Price: low to high"' in text

    replay, _, replay_events = run_text(text, tmp_path, agent=None)
    assert replay.status == "succeeded", replay.error
    assert replay.answer == result.answer
    assert not [e for e in replay_events if e["event"].startswith("model")]


def out_of_stock_plan(url: str) -> str:
    return f'''plan "Ergonomic mouse"
goal "Put the Globex Ergonomic Mouse in the cart, or another mouse if it is out of stock"

site shop = "{url}"

step open "Open the Globex Ergonomic Mouse":
    goto shop "/product/7"

step add "Add it to the cart":
    click button "Add to cart"

step total "Read the cart total" -> number:
    extract css ".total" as number

step report "Report the total":
    answer "cart total {{total}}"
'''


PATCH = """# The Globex Ergonomic Mouse is out of stock, so its button is disabled.
# Take the Acme Wireless Mouse instead.
remove step add
step alt "Open the Acme Wireless Mouse instead":
    goto shop "/product/1"
step add_alt "Add it to the cart":
    click button "Add to cart"
"""


def test_a_failed_step_is_replanned_in_place_and_every_revision_is_kept(tmp_path, shop):
    planner = ScriptedModel([PATCH])
    result, record, events = run_text(
        out_of_stock_plan(shop.url), tmp_path, Agent(planner=planner, replan="on-failure"), timeout_ms=1500
    )
    assert result.status == "succeeded", result.error
    acme = next(p for p in PRODUCTS if p.id == 1)
    assert result.answer == f"cart total {acme.price}"
    assert result.steps == {"open": "done", "alt": "done", "add_alt": "done", "total": "done", "report": "done"}

    kinds = [e["event"] for e in events]
    assert kinds.index("step_failed") < kinds.index("plan_revised") < kinds.index("run_finished")
    revised = next(e for e in events if e["event"] == "plan_revised")
    assert (revised["revision"], revised["added"], revised["removed"]) == (1, 2, 1)
    assert revised["reasoning"].startswith("The Globex Ergonomic Mouse is out of stock")
    assert "disabled" not in (record.path / "plan.r1.pa").read_text()  # reasoning stays out of the plan
    # the planner saw the failure and the statuses
    prompt = planner.requests[0].messages[-1]["content"]
    assert "The step failed" in prompt and "# done" in prompt and "# failed" in prompt
    assert planner.requests[0].grammar == "revision"

    # `planact diff` between the stored revisions
    out = subprocess.run(
        [sys.executable, "-m", "planact", "diff", str(record.path / "plan.r0.pa"), str(record.path / "plan.r1.pa")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert "- step add" in out.stdout and "+ step alt" in out.stdout and "+ step add_alt" in out.stdout
    assert "Plan: 2 to add, 0 to change, 1 to remove." in out.stdout


def test_a_grounded_step_whose_target_changed_heals_itself(tmp_path, shop):
    text = f'''plan "Heal"
goal "Add the Acme Wireless Mouse to the cart"

site shop = "{shop.url}"

step open "Open the Acme Wireless Mouse":
    goto shop "/product/1"

step add "Add it to the cart":
    click button "Add to basket"
    assert page.url contains "/cart"

step report "Say so":
    answer "added"
'''
    executor = executor_script({"add": [lambda r: f'click ref "{r[("button", "Add to cart")]}"\ndone']})
    result, record, events = run_text(text, tmp_path, Agent(executor=executor), timeout_ms=1500)
    assert result.status == "succeeded", result.error
    healed = next(e for e in events if e["event"] == "step_grounded")
    assert healed["healed"] and "Add to basket" in healed["reason"]
    assert "Add to basket" in executor.requests[0].messages[-1]["content"]  # the model was told what failed
    grounded = (record.path / "plan.grounded.pa").read_text()
    assert 'click button "Add to cart"' in grounded and "Add to basket" not in grounded


AFTER_SEARCH = {"sort": ["done"], "name": ['extract link first within css ".result"\ndone']}  # the cheapest plan's rest


def test_a_typed_value_the_goal_holds_in_other_letter_case_is_typed_as_the_goal_spells_it():
    goal = 'Enter the password "WE" into both fields'

    def typed(action: str, tree: str = "", scope: dict | None = None) -> str:
        return format_action(as_given(parse_reply(action).actions[0], goal, tree, scope or {}))

    assert typed('fill ref "e2" with "We"') == 'fill ref "e2" with "WE"'
    assert typed('fill ref "e2" with "the PASSWORD"') == 'fill ref "e2" with "the password"'
    assert typed('fill ref "e2" with "We"', '- text "We"') == 'fill ref "e2" with "We"'  # the page holds it
    assert typed('fill ref "e2" with "We"', "", {"p": "We"}) == 'fill ref "e2" with "We"'  # a variable does
    assert typed('fill ref "e2" with "e"') == 'fill ref "e2" with "e"'  # in the goal as written
    assert typed('fill ref "e2" with "wE intO"') == 'fill ref "e2" with "wE intO"'  # not a phrase of the goal
    assert typed('fill ref "e2" with "Xyz"') == 'fill ref "e2" with "Xyz"'
    assert typed('click ref "e2"') == 'click ref "e2"'


def test_turns_that_change_the_page_do_not_spend_the_budget_of_turns_that_change_nothing(tmp_path, shop):
    # turns=2: two turns in a row that change nothing end a step, six turns in all end it whatever they do
    def typing(*words):
        return [lambda r, w=w: f'fill ref "{r[("searchbox", "Search")]}" with "{w}"' for w in words]

    submit = lambda r: f'click ref "{r[("button", "Search")]}"\ndone'  # noqa: E731
    progressing = executor_script({"search": [*typing("m", "mo", "mou", "mous", "mouse"), submit], **AFTER_SEARCH})
    result, _, events = run_text(cheapest_plan(shop.url), tmp_path / "a", Agent(executor=progressing, turns=2))
    assert result.steps["search"] == "done", result.error  # six turns, each one changing the search box
    assert next(e for e in events if e["event"] == "step_grounded" and e["step"] == "search")["turns"] == 6

    stalling = executor_script({"search": typing("m", "mo", "mo")})  # the last answer again and again
    result, _, events = run_text(cheapest_plan(shop.url), tmp_path / "b", Agent(executor=stalling, turns=2))
    assert result.failed_step == "search"
    assert "in 4 turns (the last 2 changed nothing on the page)" in result.error
    assert sum(e["event"] == "action" and e.get("step") == "search" for e in events) == 3  # m, mo, mo
    (again,) = [e["reason"] for e in events if e["event"] == "model_rejected"]  # the fourth: mo once more
    assert again.startswith('`fill ref "') and "ran the turn before and changed nothing on the page" in again
    box = refs(stalling.requests[1].messages[-1]["content"])[("searchbox", "Search")]
    asked = [r for r in stalling.requests if "Current step: search" in r.messages[-1]["content"]]
    offered = [f'"\\"{box}\\""' in r.gbnf for r in asked]
    assert offered == [True, True, True, False]  # after the fill that changed nothing, the box is left out

    endless = executor_script({"search": typing(*(f"mouse {n}" for n in range(10)))})  # a change every turn
    result, _, events = run_text(cheapest_plan(shop.url), tmp_path / "c", Agent(executor=endless, turns=2))
    assert result.failed_step == "search"
    assert "in 6 turns (the most a step may take)" in result.error


def test_an_action_on_an_element_of_the_wrong_role_is_rejected_before_it_runs(tmp_path, shop):
    executor = executor_script({"search": [
        lambda r: f'fill ref "{r[("button", "Search")]}" with "mouse"',  # a button is no text box
        'check button "Search"',
        lambda r: f'fill ref "{r[("searchbox", "Search")]}" with "mouse"',
        lambda r: f'click ref "{r[("button", "Search")]}"\ndone',
    ], **AFTER_SEARCH})  # fmt: skip
    result, _, events = run_text(cheapest_plan(shop.url), tmp_path, Agent(executor=executor, turns=3))
    assert result.steps["search"] == "done", result.error
    reasons = [e["reason"] for e in events if e["event"] == "model_rejected"]
    assert len(reasons) == 2 and "is a button, and `fill` takes a combobox or searchbox" in reasons[0]
    assert "a button is named, and `check` takes a checkbox or radio" in reasons[1]
    assert [e["action"] for e in events if e["event"] == "action" and e.get("step") == "search"][0].startswith("fill")


def test_bad_model_answers_never_run_and_a_spent_budget_fails_the_step_cleanly(tmp_path, shop):
    bad = [
        'click buton "Search"',  # not the action language
        'click ref "e999"',  # no such element on the page
        'goto "https://evil.example/steal"',  # outside the declared sites
    ]
    executor = executor_script({"search": bad})
    result, record, events = run_text(cheapest_plan(shop.url), tmp_path, Agent(executor=executor, turns=3))
    assert result.status == "failed" and result.failed_step == "search"
    reasons = [e["reason"] for e in events if e["event"] == "model_rejected"]
    assert len(reasons) == 3
    assert "PA102" in reasons[0] and "e999" in reasons[1] and "outside the declared sites" in reasons[2]
    assert not [e for e in events if e["event"] == "action" and e["source"] == "model"]
    assert "did not finish step `search` in 3 turns" in result.error
    assert result.steps["home"] == "done"
    # each rejection went back to the model
    assert "rejected" in executor.requests[1].messages[-1]["content"]

    # the record stays resumable: a better model finishes the run without redoing `home`
    resumed, _, all_events = run_text(cheapest_plan(shop.url), tmp_path, Agent(executor=shop_executor()), resume=record)
    assert resumed.status == "succeeded", resumed.error
    assert resumed.answer == f"cheapest: {CHEAPEST_MOUSE.title}"
    home_starts = [e for e in all_events if e["event"] == "step_started" and e["step"] == "home"]
    assert len(home_starts) == 1


def test_planner_drafts_a_plan_from_a_goal_and_is_re_asked_until_it_lints_clean(tmp_path, shop):
    duplicate = f'''plan "Cheapest mouse"
goal "Find the cheapest mouse"
site app = "{shop.url}"
step home "Open the shop":
    goto app "/"
step home "Search for mice"
'''
    good = f'''# Search, sort by price, read the first result.
plan "Cheapest mouse"
goal "Find the cheapest mouse"
site app = "{shop.url}"
step home "Open the shop":
    goto app "/"
step search "Search for mouse"
step sort "Sort the results by price, lowest first"
step name "Read the name of the first result" -> text
step report "Report the name":
    answer "cheapest: {{name}}"
'''
    planner = ScriptedModel(["I think the plan is to search.", duplicate, good])
    seen = []
    draft, asker = asyncio.run(
        draft_plan("Find the cheapest mouse", shop.url, "app", planner, SessionOptions(), attempts=3,
                   emit=lambda event: seen.append((event.event, event.fields())))
    )  # fmt: skip
    assert draft.plan is not None and draft.attempts == 3
    assert [s.id.name for s in draft.plan.steps] == ["home", "search", "sort", "name", "report"]
    assert draft.reasoning[-1] == "Search, sort by price, read the first result."
    rejected = [f["reason"] for k, f in seen if k == "model_rejected"]
    assert "no plan" in rejected[0] and "PA202" in rejected[1]
    # the page was observed, and each rejection went back with its diagnostics
    assert "[ref=e" in planner.requests[0].messages[-1]["content"]
    assert "PA202" in planner.requests[2].messages[-1]["content"]
    assert all(r.grammar == "plan" for r in planner.requests)
    assert asker.tally.calls == 3

    # the drafted plan runs: the executor grounds its steps, the planner keeps the plan after each step
    executor = shop_executor('"mouse"')
    keep = ScriptedModel(lambda messages: "# on track\n", name="scripted-planner")
    from planact.syntax.format import format_plan

    result, record, events = run_text(
        format_plan(draft.plan), tmp_path, Agent(planner=keep, executor=executor, replan="every-step")
    )
    assert result.status == "succeeded", result.error
    assert result.answer == f"cheapest: {CHEAPEST_MOUSE.title}"
    kept = [e for e in events if e["event"] == "plan_kept"]
    assert len(kept) == 4  # after each step but the one that answered
    calls = [e for e in events if e["event"] == "model_call"]
    assert {c["role"] for c in calls} == {"planner", "executor"}
    assert result.tokens["calls"] == len(calls)
    assert result.tokens["prompt_tokens"] == sum(c["prompt_tokens"] for c in calls)


def test_every_step_replanning_applies_patches_in_place(tmp_path, shop):
    """After `home`, the planner inserts a step; after that, it keeps the plan."""
    patch = """step cart "Open the cart":
    goto shop "/cart"
"""
    answers = iter([patch])
    planner = ScriptedModel(lambda messages: next(answers, ""), name="scripted-planner")
    text = f'''plan "Patches"
goal "Look at the cart, then report"

site shop = "{shop.url}"

step home "Open the shop":
    goto shop "/"

step report "Report where we are":
    answer page.title
'''
    result, record, events = run_text(text, tmp_path, Agent(planner=planner, replan="every-step"))
    assert result.status == "succeeded", result.error
    assert list(result.steps) == ["home", "cart", "report"]
    assert "Cart" in str(result.answer)
    assert RunRecord(record.path).revisions() == 2
    r1 = (record.path / "plan.r1.pa").read_text()
    assert r1.index("step home") < r1.index("step cart") < r1.index("step report")


class CutOff(ScriptedModel):
    """A ScriptedModel whose every answer reports that it ran out of tokens (finish reason `length`)."""

    def complete(self, *args, **kwargs):
        import dataclasses

        return dataclasses.replace(super().complete(*args, **kwargs), finish_reason="length")


def test_an_executor_answer_cut_off_mid_action_keeps_its_whole_actions(tmp_path, shop):
    executor = CutOff(['goto shop "/cart"\nclick link "Check', "done\n"], name="cut-off-executor")
    text = f'plan "Cart"\n\nsite shop = "{shop.url}"\n\nstep cart "Open the cart"\n'
    result, _, events = run_text(text, tmp_path, Agent(executor=executor))
    assert result.status == "succeeded", result.error
    assert [e["action"] for e in events if e["event"] == "action"] == ['goto shop "/cart"']
    assert not [e for e in events if e["event"] == "model_rejected"]


def test_a_re_ask_after_a_degenerate_answer_stays_as_long_as_one_answer_and_a_dozen_problems():
    # a small model's answer can repeat one step hundreds of times; the problems it gets back are capped,
    # and only the latest rejected answer goes back, so the conversation never outgrows the context window
    from planact.browser.observe import Observation
    from planact.run.asking import Asker
    from planact.run.planner import SHOWN_PROBLEMS, Planner

    degenerate = 'plan "x"\n\n' + "".join(f'step s:\n    goto app "/{i}"\n\n' for i in range(60))
    planner_model = ScriptedModel([degenerate, degenerate, degenerate])
    planner = Planner(planner_model, Asker(lambda event: None), attempts=3)
    seen = Observation("http://127.0.0.1:1/", "Shop", '- heading "Shop" [ref=e1]')
    draft = asyncio.run(planner.draft("Open the shop", "app", "http://127.0.0.1:1", seen))
    assert draft.plan is None and draft.attempts == 3
    last = planner_model.requests[2].messages
    assert [m["role"] for m in last].count("assistant") == 1  # the latest answer only, not all of them
    problems = [line for line in last[-1]["content"].splitlines() if line.startswith("- ")]
    assert len(problems) == SHOWN_PROBLEMS + 1 and "more problems" in problems[-1]
    assert len(planner_model.requests[1].messages) == len(last)
    # the same answer twice: the third ask says so, so it is not the second ask again
    assert "same answer as before" in last[-1]["content"]
    assert "same answer" not in planner_model.requests[1].messages[-1]["content"]


def test_every_step_replanning_stops_asking_once_no_step_is_left(tmp_path, shop):
    """After the last step there is nothing to revise: the planner is asked after `home` only."""
    planner = ScriptedModel(lambda messages: "", name="scripted-planner")
    text = f'plan "Two pages"\n\nsite shop = "{shop.url}"\n\nstep home "Open the shop":\n    goto shop "/"\n\n'
    text += 'step cart "Open the cart":\n    goto shop "/cart"\n'
    result, _, events = run_text(text, tmp_path, Agent(planner=planner, replan="every-step"))
    assert result.status == "succeeded", result.error
    assert len(planner.requests) == 1 and "Step home finished." in planner.requests[0].messages[-1]["content"]
    assert [e["after"] for e in events if e["event"] == "plan_kept"] == ["home"]


def test_planact_plan_shows_each_answer_and_rejection_as_it_plans(shop, monkeypatch, tmp_path):
    """The command's progress lines come from the run's typed events (a model call, a rejected answer)."""
    from click.testing import CliRunner

    from planact.cli import main

    good = f'plan "Home"\ngoal "Open the shop"\nsite app = "{shop.url}"\nstep home "Open the shop":\n    goto app "/"\n'
    planner = ScriptedModel(["no plan here", good])
    monkeypatch.setattr("planact.models.config.load_model", lambda *a, **k: planner)
    out = tmp_path / "home.pa"
    result = CliRunner().invoke(main, ["plan", "Open the shop", "--site", shop.url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.count("model answered:") == 2
    assert "rejected: " in result.output
    assert lint_text(out.read_text())[1] == []


def test_a_compact_executor_answers_one_action_a_turn_and_done_on_the_page_it_left(tmp_path, shop):
    """A fine-tuned executor (its card says compact prompts) gets the short prompt, without the plan, and its
    one-action answers ground the step; it says `done` on a turn of its own."""
    from agent_helpers import refs

    turns: list[str] = []

    def answer(messages):
        user = messages[-1]["content"]
        turns.append(user)
        taken = user.split("Done in this step:\n", 1)[1].split("\n\nNext action", 1)[0]
        if taken.strip() == "(none yet)":
            return f'fill ref "{refs(user)[("searchbox", "Search")]}" with query'
        if "click" not in taken:
            return f'click ref "{refs(user)[("button", "Search")]}"'
        return "done"

    executor = ScriptedModel(answer, name="compact-executor", prompts="compact")
    text = cheapest_plan(shop.url).split("\nstep sort")[0] + "\n"
    result, record, events = run_text(text, tmp_path, Agent(executor=executor))
    assert result.status == "succeeded", result.error
    assert len(turns) == 3 and all("Its steps" not in t and t.startswith("Goal: ") for t in turns)
    assert '/search?q=mouse"' in turns[-1] or "q=mouse" in turns[-1]  # done is said on the results page
    grounded = next(e for e in events if e["event"] == "step_grounded")
    assert grounded["step"] == "search" and len(grounded["actions"]) == 2 and grounded["turns"] == 3
    assert "You are the EXECUTOR" in executor.requests[0].messages[0]["content"]
    assert len(executor.requests[0].messages[0]["content"]) < 200


def reading_plan(url: str, more: str = "") -> str:
    """Open the shop, read its heading (`extract`, no output declared), ``more`` steps, then answer."""
    return (
        f'plan "Reads"\ngoal "Read what the shop shows, then report"\n\nsite shop = "{url}"\n\n'
        'step home "Open the shop":\n    goto shop "/"\n\nstep heading "Read the heading":\n    extract css "h1"\n\n'
        f'{more}step report "Report where we are":\n    answer "seen"\n'
    )


def test_the_replanner_is_shown_what_a_step_read_though_the_step_declares_no_output(tmp_path, shop):
    """A compact plan's `step heading "Read the heading"` declares no output, so what its extract read is no
    variable; the replanner is shown it all the same (its decision may hang on it: a warning in the form,
    the links of hidden tabs), and a revision that names the finished step again leaves it as it ran."""
    prompts: list[str] = []

    def answer(messages):
        prompts.append(messages[-1]["content"])
        done = "Step heading finished." in messages[-1]["content"]
        return 'step heading "Read it again":\n    extract css "p"\n' if done else ""

    planner = ScriptedModel(answer, name="scripted-planner")
    result, record, events = run_text(reading_plan(shop.url), tmp_path, Agent(planner=planner, replan="every-step"))
    assert result.status == "succeeded", result.error
    read = next(e["value"] for e in events if e["event"] == "action" and e["step"] == "heading")
    assert read and "heading" not in result.outputs
    after = next(p for p in prompts if "Step heading finished." in p)
    assert f'step heading "Read the heading":  # done → {json.dumps(read, ensure_ascii=False)}' in after, after
    assert [e["action"] for e in events if e["event"] == "action" and e["step"] == "heading"] == ['extract css "h1"']


def test_after_reads_replanning_asks_after_a_step_that_read_something_and_not_after_the_others(tmp_path, shop):
    """`--replan after-reads` revises where the run learnt something the plan could not know: after a step
    that read the page (an extract, output declared or not) or failed, not after a `goto` or a click."""
    asked: list[str] = []

    def answer(messages):
        asked.append(messages[-1]["content"].split("\n\nPage ", 1)[0].rsplit("\n", 1)[-1])
        return ""

    planner = ScriptedModel(answer, name="scripted-planner")
    more = 'step cart "Open the cart":\n    goto shop "/cart"\n\nstep title "Read the cart\'s heading" -> text:\n'
    text = reading_plan(shop.url, more + '    extract css "h1"\n\n')
    result, record, events = run_text(text, tmp_path, Agent(planner=planner, replan="after-reads"))
    assert result.status == "succeeded", result.error
    assert asked == ["Step heading finished.", "Step title finished."], asked
    kept = [e["after"] for e in events if e["event"] == "plan_kept"]
    assert kept == ["heading", "title"]
