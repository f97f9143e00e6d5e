"""The semantic step-level diff: edit records, field changes, plan-level items, rendering."""

import json

import pytest

from planact import parse
from planact.graph import diff_plans
from planact.graph.diff import FieldChange, Insert, Keep, Remove, Update
from planact.graph.render_diff import render_json, render_text

BASE = """plan "Buy a mouse"
site shop = "http://127.0.0.1:8765"
input budget: number = 30
step search "Search for a mouse":
    goto shop "/"
    fill searchbox "Search" with "mouse"
    press "Enter"
step price "Read the price" -> number:
    extract text first within css ".result" as number
step add "Add it to the cart" after price if price <= budget
step report "Report {price}"
"""


def diff_of(new_text: str, old_text: str = BASE):
    return diff_plans(parse(old_text), parse(new_text))


def only_update(diff) -> Update:
    (edit,) = diff.changed
    assert isinstance(edit, Update)
    return edit


def test_equal_plans_have_an_empty_diff_even_with_other_comments_and_layout():
    commented = BASE.replace('step price "Read the price"', '# look closely\nstep price "Read the price"')
    commented = commented.replace('press "Enter"', 'press "Enter"   # submit')
    diff = diff_of(commented)
    assert diff.is_empty and diff.summary == (0, 0, 0)
    assert all(isinstance(e, Keep) for e in diff.edits) and len(diff.edits) == 4
    assert render_text(diff) == "No changes.\n"
    assert render_json(diff)["equal"] is True


@pytest.mark.parametrize(
    ("old", "new", "field", "old_text", "new_text"),
    [
        ('"Add it to the cart"', '"Add the mouse to the cart"', "intent", '"Add it to the cart"', '"Add the mouse to the cart"'),
        ("after price if", "after search, price if", "after", "price", "search, price"),
        ("if price <= budget", "if price < budget", "condition", "price <= budget", "price < budget"),
        ("after price if price <= budget", "after price", "condition", "price <= budget", None),
        ('"Add it to the cart"', '"Add it to the cart" -> bool', "output", None, "bool"),
        ("after price if", "after price for p in [1, 2] max 2 if", "loop", None, "p in [1, 2] max 2"),
    ],
)  # fmt: skip
def test_one_changed_field(old, new, field, old_text, new_text):
    edit = only_update(diff_of(BASE.replace(old, new)))
    assert edit.new.id.name == "add"
    assert edit.changes == (FieldChange(field, old_text, new_text),)


def test_action_list_is_a_sequence_diff_showing_only_changed_actions():
    new = BASE.replace(
        '    fill searchbox "Search" with "mouse"\n', '    fill searchbox "Search" with "wireless mouse"\n'
    )
    new = new.replace('    press "Enter"\n', '    press "Enter"\n    click link first\n')
    edit = only_update(diff_of(new))
    assert [c.field for c in edit.changes] == ["actions"]
    assert [(line.op, line.text) for line in edit.actions] == [
        (" ", 'goto shop "/"'),
        ("-", 'fill searchbox "Search" with "mouse"'),
        ("+", 'fill searchbox "Search" with "wireless mouse"'),
        (" ", 'press "Enter"'),
        ("+", "click link first"),
    ]


def test_grounding_a_step_is_an_actions_change():
    edit = only_update(
        diff_of(BASE.replace('step report "Report {price}"', 'step report "Report {price}":\n    answer price'))
    )
    assert edit.changes == (FieldChange("actions", None, "1 action"),)
    assert [(line.op, line.text) for line in edit.actions] == [("+", "answer price")]


def test_call_change():
    old = 'plan "p"\ndefine step login(user: text) "Log in":\n    click button "Go"\nstep a: login("bob")\n'
    edit = only_update(diff_of(old.replace('"bob"', 'user="ann"'), old))
    assert edit.changes == (FieldChange("call", 'login("bob")', 'login(user="ann")'),)


def test_inserts_and_removals_keep_the_new_order_with_removals_where_they_were():
    new = BASE.replace('step add "Add it to the cart" after price if price <= budget\n', "")
    new = new.replace('step report "Report {price}"', 'step check "Check the stock"\nstep report "Report {price}"')
    diff = diff_of(new)
    assert [(type(e).__name__, (e.new if isinstance(e, Update) else e.step).id.name) for e in diff.edits] == [
        ("Keep", "search"), ("Keep", "price"), ("Remove", "add"), ("Insert", "check"), ("Keep", "report"),
    ]  # fmt: skip
    assert diff.summary == (1, 0, 1) and not diff.is_empty
    insert = next(e for e in diff.edits if isinstance(e, Insert))
    assert insert.previous == "price"
    assert diff.followers == {"report": "check"}  # its implicit predecessor changed, the step did not


def test_a_move_is_a_change_of_the_moved_step_only():
    new = BASE.replace('step report "Report {price}"\n', "")
    new = new.replace('step search "', 'step report "Report {price}"\nstep search "')
    diff = diff_of(new)
    edit = only_update(diff)
    assert edit.new.id.name == "report"
    assert edit.changes == (FieldChange("position", "after add", "after the start"),)
    assert diff.summary == (0, 1, 0)


def test_plan_level_items_are_their_own_records():
    new = BASE.replace('plan "Buy a mouse"', 'plan "Buy a mouse"\ngoal "cheap"\nuse web')
    new = new.replace("input budget: number = 30", "input budget: number = 40\ninput query: text")
    new = new.replace('site shop = "http://127.0.0.1:8765"\n', "")
    new = new.replace('goto shop "/"', 'goto "http://127.0.0.1:8765/"')
    diff = diff_of(new)
    assert [(i.kind, i.name, i.op) for i in diff.items] == [
        ("goal", "goal", "+"), ("use", "web", "+"), ("site", "shop", "-"),
        ("input", "budget", "~"), ("input", "query", "+"),
    ]  # fmt: skip
    budget = diff.items[3]
    assert (budget.old, budget.new) == ("input budget: number = 30", "input budget: number = 40")
    assert diff.summary == (3, 2, 1)  # + goal, use, query; ~ budget, step search; - site


def test_procedure_changes_ignore_comments():
    old = 'plan "p"\ndefine step go() "Go":\n    click button "Go"\nstep a: go()\n'
    commented = old.replace('    click button "Go"', '    # the big one\n    click button "Go"  # really')
    assert diff_of(commented, old).is_empty
    diff = diff_of(old.replace('button "Go"', 'button "Start"'), old)
    assert [(i.kind, i.name, i.op) for i in diff.items] == [("procedure", "go", "~")]


def test_text_rendering_marks_and_colours():
    new = BASE.replace('"Add it to the cart"', '"Add the mouse to the cart"')
    new = new.replace('step report "Report {price}"\n', 'step done "Say done"\n')
    text = render_text(diff_of(new))
    assert text.splitlines() == [
        "  ~ step add",
        '      ~ intent: "Add it to the cart" -> "Add the mouse to the cart"',
        '  - step report "Report {price}"',
        '  + step done "Say done"',
        "",
        "Plan: 1 to add, 1 to change, 1 to remove.",
    ]
    coloured = render_text(diff_of(new), color=True)
    assert "\x1b[32m  + step done" in coloured and "\x1b[31m  - step report" in coloured
    assert "\x1b[33m  ~ step add" in coloured and coloured.endswith("Plan: 1 to add, 1 to change, 1 to remove.\n")


def test_json_rendering_matches_the_records():
    new = BASE.replace('"Add it to the cart"', '"Add the mouse"').replace("input budget: number = 30", "")
    new = new.replace("price <= budget", "price <= 30")
    data = render_json(diff_of(new))
    assert json.loads(json.dumps(data)) == data
    assert data["equal"] is False and data["summary"] == {"add": 0, "change": 1, "remove": 1}
    assert data["items"] == [
        {"kind": "input", "name": "budget", "op": "remove", "old": "input budget: number = 30", "new": None}
    ]
    (step,) = data["steps"]
    assert step["op"] == "change" and step["id"] == "add"
    assert [c["field"] for c in step["changes"]] == ["intent", "condition"]


def test_edit_records_are_frozen():
    diff = diff_of(BASE.replace("Report", "Tell"))
    with pytest.raises(AttributeError):
        diff.edits[0].step = None  # type: ignore[misc]
    assert not any(isinstance(e, Remove) for e in diff.edits)
