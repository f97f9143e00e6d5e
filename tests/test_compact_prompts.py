"""The compact prompt form: short planner and replanner prompts for a model fine-tuned on them, a planner answer
of step lines that the engine completes with the goal and the site, and the form recorded from data to model."""

from __future__ import annotations

import asyncio
import json

import pytest

from planact.browser.observe import Observation
from planact.models import ScriptedModel
from planact.models.prompts import FORMS, conversation, detect_form, form_of, render
from planact.run.asking import Asker
from planact.run.planner import LiveView, Planner, Rejected, planner_prompt, replanner_prompt
from planact.syntax.parser import parse

PAGE = Observation(
    "http://127.0.0.1:1/miniwob/enter-text.html", "Enter Text", '- textbox [ref=e3]\n- button "Submit" [ref=e4]'
)
SITE = ("miniwob", "http://127.0.0.1:1")
GOAL = 'Enter "Ana {x}" into the text field and press Submit.'


def _draft(answers: list[str], form: str = "compact"):
    model = ScriptedModel(answers, prompts=form)
    seen: list[tuple[str, dict]] = []
    draft = asyncio.run(
        Planner(model, Asker(lambda event: seen.append((event.event, event.fields()))), attempts=3).draft(
            GOAL, *SITE, PAGE
        )
    )
    return draft, model, seen


def test_a_compact_planner_answers_with_step_lines_and_gets_the_goal_and_the_given_site():
    draft, model, _ = _draft(['step type "Type Ana into the text field"\nstep submit "Press Submit"\n'])
    assert draft.plan is not None and draft.attempts == 1
    assert [s.id.name for s in draft.plan.steps] == ["type", "submit"]
    assert draft.plan.title.text == GOAL and draft.plan.goal.text == GOAL  # braces and quotes kept as text
    assert [(s.name.name, s.url.text) for s in draft.plan.sites] == [SITE]
    assert parse(draft.text).steps == draft.plan.steps  # the draft's text is the whole plan
    (request,) = model.requests
    assert request.grammar == "steps"
    system, user = request.messages
    assert system["content"] == render("planner.compact.system")
    assert "The plan language" not in system["content"] and "site shop" not in system["content"]
    assert GOAL in user["content"] and "[ref=e3]" in user["content"]


def test_a_compact_answer_that_is_empty_removes_steps_or_repeats_an_id_is_asked_again():
    draft, model, seen = _draft(["", "remove step type\n", 'step a "One"\nstep a "Two"\n'])
    assert draft.plan is None and draft.attempts == 3  # three attempts, all rejected
    reasons = [f["reason"] for kind, f in seen if kind == "model_rejected"]
    assert "no steps" in reasons[0]
    assert "no steps to remove" in reasons[1]
    assert "PA202" in reasons[2]
    assert "Write the steps again" in model.requests[1].messages[-1]["content"]


def test_the_full_form_is_the_default_and_a_full_answer_keeps_its_own_header():
    text = f'plan "Type"\ngoal "Type"\n\nsite miniwob = "{SITE[1]}"\n\nstep type "Type Ana"\n'
    draft, model, _ = _draft([text], form="full")
    assert draft.plan is not None and draft.plan.title.text == "Type"
    assert model.requests[0].grammar == "plan"
    assert "The plan language" in model.requests[0].messages[0]["content"]
    assert form_of(object()) == "full" and form_of(ScriptedModel([], prompts="compact")) == "compact"


def test_the_compact_replanner_prompt_and_the_form_found_in_data():
    plan = parse(f'plan "Type"\ngoal "Type"\n\nsite miniwob = "{SITE[1]}"\n\nstep type "Type Ana"\nstep go "Submit"\n')
    live = LiveView(plan, {"type": "done", "go": "pending"}, {}, 0)
    full, compact = (replanner_prompt(live, "Step type finished.", PAGE, form) for form in FORMS)
    assert len(compact[0]["content"]) < len(full[0]["content"]) / 2
    assert "# done" in compact[1]["content"] and "Step type finished." in compact[1]["content"]
    # what a model must be served with is read off its training data
    assert detect_form([{"messages": planner_prompt(GOAL, *SITE, PAGE)}]) == "full"
    assert detect_form([{"messages": compact}]) == "compact"
    assert detect_form([planner_prompt(GOAL, *SITE, PAGE, "compact")]) == "compact"
    with pytest.raises(ValueError, match="unknown prompt form"):
        conversation("planner", {}, {}, "tiny")


def test_a_model_card_names_its_prompt_form(tmp_path):
    from planact.models.local import _prompt_form

    card = tmp_path / "adapter.json"
    assert _prompt_form(None) == "full" and _prompt_form(card) == "full"  # no card: full
    card.write_text(json.dumps({"prompts": "compact"}))
    assert _prompt_form(card) == "compact"
    card.write_text(json.dumps({"prompts": "huge"}))
    assert _prompt_form(card) == "full"
    card.write_text("{not json")
    assert _prompt_form(card) == "full"


def test_a_revision_that_names_a_finished_step_again_keeps_it_as_it_ran_and_uses_the_rest():
    """A finished step is history: a revision's lines for it (its intent again, other actions, a removal)
    are left out, and the rest of the revision is used, not refused for them."""
    plan = parse(
        f'plan "Type"\n\nsite miniwob = "{SITE[1]}"\n\nstep type "Type Ana":\n    fill ref "e3" with "Ana"\n\n'
        'step go "Submit"\n'
    )
    live = LiveView(plan, {"type": "done", "go": "pending"}, {}, 0)
    assert live.merge('step type "Type Ana."\nstep go "Submit"\n') is None  # a restatement: no change
    revised = live.merge('step type "Type Ana"\nstep go "Press the Submit button"\n')
    assert revised.steps[0] == plan.steps[0] and revised.steps[1].intent.text == "Press the Submit button"
    rewritten = live.merge(
        'step type "Type Bo":\n    fill ref "e3" with "Bo"\nremove step type\nstep check "Check it"\n'
    )
    assert [s.id.name for s in rewritten.steps] == ["type", "check", "go"] and rewritten.steps[0] == plan.steps[0]
    assert live.merge('step type "Type Bo":\n    fill ref "e3" with "Bo"\n') is None  # nothing else: no change
    whole = live.merge(f'plan "Type"\nsite miniwob = "{SITE[1]}"\nstep type "Again"\nstep go "Go"\n')
    assert whole.steps[0] == plan.steps[0] and whole.steps[1].intent.text == "Go"
    with pytest.raises(Rejected, match="has no step `nope`"):  # removing what the plan does not have still fails
        live.merge("remove step nope\n")


class _OutOfTokens(ScriptedModel):
    """A scripted model whose answers all ran out of tokens (as a looping small model's do)."""

    def complete(self, messages, **kwargs):
        import dataclasses

        return dataclasses.replace(super().complete(messages, **kwargs), finish_reason="length")


def test_a_compact_plan_that_loops_until_its_budget_keeps_the_steps_before_the_first_repeat():
    """`step add ...` written again and again until the token budget ran out: the plan is the steps before
    the repeat (a warning says so), not three rejections for duplicate names."""
    loop = 'step find "Search the site for usb hub"\nstep open "Open the result titled Acme USB Hub"\n'
    loop += 'step add "Add 2 of this product to the cart"\n' + 'step add "Add to the result"\n' * 12 + "step ad"
    model = _OutOfTokens([loop], prompts="compact")
    seen: list[tuple[str, dict]] = []
    draft = asyncio.run(Planner(model, Asker(lambda e: seen.append((e.event, e.fields())))).draft(GOAL, *SITE, PAGE))
    assert draft.plan is not None and draft.attempts == 1 and len(model.requests) == 1
    assert [s.id.name for s in draft.plan.steps] == ["find", "open", "add"]
    assert draft.plan.steps[2].intent.text == "Add 2 of this product to the cart"
    warnings = [fields["message"] for kind, fields in seen if kind == "warning"]
    assert warnings == [
        "the planner's answer ran out of tokens repeating step `add`: kept the 3 steps before the repeat"
    ]
    # an answer cut off with no repeat is kept whole (less its unfinished line), with no warning
    model = _OutOfTokens(['step a "Do A"\nstep b "Do B"\nstep c "Do'], prompts="compact")
    seen.clear()
    draft = asyncio.run(Planner(model, Asker(lambda e: seen.append((e.event, e.fields())))).draft(GOAL, *SITE, PAGE))
    assert [s.id.name for s in draft.plan.steps] == ["a", "b"] and not [k for k, _ in seen if k == "warning"]
