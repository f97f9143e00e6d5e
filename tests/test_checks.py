"""Checks: dependency rules, scoping, types and suppressions on small plans."""

import textwrap

import pytest

from planact import parse
from planact.check import check_plan, lint_text
from planact.lang.deps import plan_dependencies


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


def test_a_repeated_step_id_is_a_duplicate_and_not_a_dependency_cycle():
    source = """\
        plan "x"
        step a "A" -> number
        step b "B {a}"
        step a "A again"
        step c "C" after a
    """
    plan, diagnostics = lint_text(textwrap.dedent(source))
    assert [(d.code, d.span.line) for d in diagnostics] == [("PA202", 4)]
    # the first step of an id is the step: the repeated one adds no dependency (as in the step graph)
    deps = {(d.step, d.on, d.kind) for d in plan_dependencies(plan)}
    assert deps == {("b", "a", "sequence"), ("c", "a", "order")}


def _import_cycle(tmp_path, files: dict[str, str], linted: str):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    path = tmp_path / linted
    return lint_text(path.read_text(), str(path))[1]


def test_a_file_that_uses_itself_is_an_import_cycle(tmp_path):
    found = _import_cycle(
        tmp_path,
        {"self.pa": 'plan "x"\nuse "self.pa"\ndefine step p() "P"\nstep a: p()\n'},
        "self.pa",
    )
    # only the cycle: its own procedures are not imported a second time (no PA202)
    assert [(d.code, d.message, d.span.line) for d in found] == [("PA210", "import cycle: `self.pa` -> `self.pa`", 2)]
    assert found[0].help


def test_files_that_use_each_other_are_an_import_cycle_with_the_chain(tmp_path):
    files = {
        "a.pa": 'plan "a"\nuse "lib/b.pa"\nstep s: greet("Ada")\n',
        "lib/b.pa": 'plan "b"\nuse "c.pa"\ndefine step greet(name: text) "Greet {name}"\n',
        "lib/c.pa": 'plan "c"\nuse "../a.pa"\n',
    }
    found = _import_cycle(tmp_path, files, "a.pa")
    assert [(d.code, d.message) for d in found] == [
        ("PA210", "import cycle: `a.pa` -> `lib/b.pa` -> `c.pa` -> `../a.pa`")
    ]
    assert [d.message for d in _import_cycle(tmp_path, files, "lib/c.pa")] == [
        "import cycle: `c.pa` -> `../a.pa` -> `lib/b.pa` -> `c.pa`"
    ]
    # a chain that ends is no cycle
    files["lib/c.pa"] = 'plan "c"\n'
    assert _import_cycle(tmp_path, files, "a.pa") == []


URL_SITE = 'plan "x"\nsite shop = "http://127.0.0.1:8765"\n'


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ('input u: url = "https://evil.example.com/"\nstep s "S":\n    goto u\n', 3),
        ('input u: url = "https://evil.example.com/"\nstep s "S":\n    tab open u\n', 3),
        ('input u: url = "https://evil.example.com"\nstep s "S":\n    goto "{u}/login"\n', 3),
        ('input us: list of url = ["https://evil.example.com/"]\nstep s "S {x}" for x in us:\n    goto x\n', 3),
        (
            'define step open(where: url) "Open {where}":\n    goto where\nstep s: open("https://evil.example.com/")\n',
            5,
        ),
        (
            'input u: url = "https://evil.example.com/"\ndefine step open(where: url) "Open":\n    goto where\n'
            "step s: open(where=u)\n",
            3,
        ),
    ],
    ids=["goto input", "tab open input", "prefix", "loop over a list default", "call argument", "input as argument"],
)
def test_a_url_value_written_in_the_plan_is_checked_against_the_sites(source, line):
    plan, diagnostics = lint_text(URL_SITE + source)
    found = [d for d in diagnostics if d.code == "PA501"]
    assert len(found) == 1, diagnostics
    assert found[0].span.line == line and "https://evil.example.com" in found[0].message
    assert found[0].help == 'declare it: `site name = "https://evil.example.com"`'


def test_url_values_on_a_declared_site_or_known_only_at_run_time_are_fine():
    steps = """\
input home: url = "http://127.0.0.1:8765/"
input given: url
step a "A" -> url:
    goto home
    goto "{home}cart"
    goto given
    extract link first
step b "B":
    goto a
"""
    assert codes(URL_SITE + steps) == []


@pytest.mark.parametrize("op", ["==", "!=", "contains", "matches", "<", ">="])
@pytest.mark.parametrize("secret_side", ["left", "right"])
def test_every_comparison_on_a_secret_is_refused_like_contains(op, secret_side):
    value = "3" if op in ("<", ">=") else '"abc"'
    left, right = ("password", value) if secret_side == "left" else (value, "password")
    plan, diagnostics = lint_text(f'plan "x"\ninput password: secret\nstep s "S" if {left} {op} {right}\n')
    assert [(d.code, d.message) for d in diagnostics] == [
        ("PA301", f"`{op}` on a secret: a condition on a secret's value reveals it, one probe at a time")
    ]
    assert "fill" in diagnostics[0].help


def test_a_secret_inside_a_record_or_a_list_is_refused_in_a_comparison_too():
    found = codes("""\
        plan "x"
        input who: record {name: text, pin: secret}
        input pins: list of secret
        step a "A" if who.pin == "1234"
        step b "B" if pins contains "1234"
        step c "C" if who.name == "Ada"
    """)
    assert found == ["PA301", "PA301"]  # `who.name` is text: comparing it is fine


@pytest.mark.parametrize(
    ("steps", "suggested"),
    [
        ('step p "Read":\n    extract css ".price" as number\nstep u "U {p}"\n', "-> number`"),
        ('step p "Read":\n    extract css ".title"\nstep u "U {p}"\n', "-> text`"),
        ('step p "Read"\nstep u "U" if p > 3\n', "-> number`"),
        ('step p "Read"\nstep u "U" if p\n', "-> bool`"),
        ('step p "Read"\nstep u "U" if p == "yes" and not p\n', "-> text`"),
        ('step p "Read"\nstep u "U {p}"\n', "-> TYPE`"),
        ('define step go() "Go"\nstep p: go()\nstep u "U {p}"\n', '`define step go(...) "..." -> TYPE`'),
    ],
)
def test_no_output_help_suggests_the_type_the_step_produces_or_its_reader_needs(steps, suggested):
    plan, diagnostics = lint_text('plan "x"\n' + steps)
    found = [d for d in diagnostics if d.code == "PA208"]
    assert found and suggested in found[0].help, [d.help for d in found]


def test_every_operator_and_call_argument_finding_has_help():
    plan, diagnostics = lint_text(
        textwrap.dedent("""\
        plan "x"
        define step go(n: number, label: text) "Go {n} {label}"
        input t: text
        input n: number
        step a "A" if t < 3 and n == "x" and n contains 3 and n matches "x" and t matches "("
        step b "B" if [1, "a"] contains 1 and (n or t)
        step c: go(1, "a", 3)
        step d: go(label="a", 1)
        step e: go(1, n=2)
        step f: go("one", "a")
        step g: go(label="a")
    """)
    )
    found = [d for d in diagnostics if d.code in ("PA301", "PA302")]
    assert len(found) >= 11
    assert [d for d in found if not d.help] == []
