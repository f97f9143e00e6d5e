"""Inputs given as text and parsed by `matching` patterns (MiniWoB instructions, for one)."""

import pytest

from planact import parse
from planact.check import lint_text
from planact.lang.values import bind_inputs
from planact.syntax.format import format_plan

PLAN = """plan "Click a button"

input task: record {label: text, times: number, words: list of text} matching "Click on the \\"{label}\\" button {times} times, then select {words}." or "Press {label} ({times}x); pick {words}"

step press "Press {task.label}":
    click button "{task.label}"
    answer "{task.times} {task.words}"
"""


def test_a_pattern_binds_typed_fields_from_the_first_pattern_that_matches_whole():
    plan = parse(PLAN)
    assert lint_text(PLAN)[1] == []
    values = bind_inputs(plan, {"task": 'Click on the "Sign  in" button 3 times, then select red, Blue ,x.'}, {})
    assert values["task"] == {"label": "Sign  in", "times": 3, "words": ["red", "Blue", "x"]}
    # whitespace in the pattern matches any run of whitespace; the second pattern is tried next
    assert bind_inputs(plan, {"task": "Press  OK (2.5x); pick one"}, {})["task"] == {
        "label": "OK",
        "times": 2.5,
        "words": ["one"],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Click the OK button.", "does not match"),
        ('Click on the "OK" button many times, then select a.', "task.times is a number, not 'many'"),
    ],
)
def test_text_that_does_not_fit_says_why(text: str, message: str):
    with pytest.raises(ValueError, match=message):
        bind_inputs(parse(PLAN), {"task": text}, {})


def test_a_patterned_input_formats_and_parses_back():
    plan = parse(PLAN)
    assert parse(format_plan(plan)) == plan
    assert 'matching "Click on the \\"{label}\\" button {times} times, then select {words}." or "Press' in format_plan(
        plan
    )


def test_a_text_input_with_a_pattern_is_checked_whole():
    plan = parse('plan "p"\ninput q: text matching "Find the cheapest *" or "Find *"\nstep s:\n    answer q\n')
    assert bind_inputs(plan, {"q": "Find *"}, {})["q"] == "Find *"
    with pytest.raises(ValueError, match="does not match"):
        bind_inputs(plan, {"q": "Buy it"}, {})


@pytest.mark.parametrize("given", ["1e999", "inf", "-inf", "nan", "9" * 400])
def test_a_number_field_is_finite(given: str):
    from planact.lang.values import patterned_value

    inp = parse('plan "x"\ninput task: record {n: number} matching "Take {n}."\n').inputs[0]
    assert patterned_value(inp, "Take 2.5.") == {"n": 2.5}
    with pytest.raises(ValueError, match="task.n is a finite number"):
        patterned_value(inp, f"Take {given}.")
