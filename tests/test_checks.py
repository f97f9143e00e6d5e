"""Checks: dependency rules, scoping, types and suppressions on small plans."""

import textwrap

from planact import parse
from planact.check import check_plan, lint_text
from planact.check.deps import plan_dependencies


def codes(source: str, path: str | None = None) -> list[str]:
    plan, diagnostics = lint_text(textwrap.dedent(source), path)
    return [d.code for d in diagnostics]


def test_dependency_rules_sequence_order_and_data():
    plan = parse(
        textwrap.dedent("""\
        plan "deps"
        step a "A" -> number
        step b "B"
        step c "C" after a
        step d "D {a}" after b, c
        step e "E" if a > 1
    """)
    )
    deps = {(d.step, d.on, d.kind) for d in plan_dependencies(plan)}
    assert deps == {
        ("b", "a", "sequence"),
        ("c", "a", "order"),
        ("d", "b", "order"), ("d", "c", "order"), ("d", "a", "data"),
        ("e", "d", "sequence"), ("e", "a", "data"),
    }  # fmt: skip


def test_a_clean_plan_has_no_findings():
    assert (
        codes("""\
        plan "Buy"
        site shop = "http://127.0.0.1:8765"
        input query: text = "mouse"
        input budget: number = 30
        input tags: list of text = ["a", "b"]
        input who: record {name: text, age: number}
        input password: secret
        define step login(user: text, password: secret) "Log in as {user}":
            goto shop "/login"
            fill label "Password" with password
        step signin: login(who.name, password=password)
        step price "Read the price" -> number:
            extract text first within css ".price" as number
        step each "Tag {t}" for t in tags if t != query and price <= budget:
            fill textbox "Tag" with t
        step titles "Collect titles" -> list of text:
            extract link within css ".result" as list of text
        step open "Open {title}" for title in titles max 5 if page.url contains "search" and who.age >= 18
        step report "Report":
            answer "{price} for {query}"
    """)
        == []
    )


def test_noqa_suppresses_only_the_named_codes_on_its_line():
    source = """\
        plan "noqa"
        input a: text  # noqa: PA405
        input b: text  # noqa: PA201
        input c: text  # noqa
    """
    assert codes(source) == ["PA405"]


def test_noqa_works_without_source_text_from_trailing_comments():
    plan = parse('plan "x"\n\ninput a: text  # noqa: PA405\n\ninput b: text\n')
    assert [d.code for d in check_plan(plan)] == ["PA405"]


def test_select_limits_the_rules():
    plan = parse('plan "x"\ninput a: text\nstep s "{b}"\n')
    assert [d.code for d in check_plan(plan, select={"PA201"})] == ["PA201"]


def test_use_imports_procedures_from_a_file_beside_the_plan(tmp_path):
    (tmp_path / "lib.pa").write_text('plan "lib"\ndefine step greet(name: text) "Greet {name}"\n')
    plan_file = tmp_path / "plan.pa"
    plan_file.write_text('plan "x"\nuse "lib.pa"\nstep hi: greet("Ada")\nstep bad: greet(3)\n')
    assert codes(plan_file.read_text(), str(plan_file)) == ["PA302"]
    assert codes('plan "x"\nuse "lib.pa"\n') == ["PA206"]  # no file location to resolve it from


def test_looped_step_output_is_a_list():
    assert codes("""\
        plan "x"
        input items: list of text
        step price "Price of {i}" -> number for i in items
        step total "Total" if price contains 3
        step wrong "Wrong" if price > 3
    """) == ["PA301"]


def test_secret_flows_only_into_fill_and_parameters():
    assert codes("""\
        plan "x"
        site shop = "http://127.0.0.1:8765"
        input password: secret
        step a "Log in":
            fill label "Password" with password
            click button "Sign in {password}"
    """) == ["PA502"]


def test_step_output_must_match_its_extract():
    assert codes("""\
        plan "x"
        step a "A" -> list of text:
            extract css ".x" as list of number
        step b "B {a}"
    """) == ["PA305"]
