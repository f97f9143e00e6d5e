"""No input ends in a traceback: binary junk, huge files, deep nesting, empty files."""

import os
import subprocess
import sys

import pytest

from planact import PlanError, parse, parse_bytes
from planact.check import lint_text


def lint(tmp_path, data: bytes):
    path = tmp_path / "input.pa"
    path.write_bytes(data)
    return subprocess.run(
        [sys.executable, "-m", "planact", "lint", "--no-color", str(path)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("binary junk", os.urandom(4096), "PA103"),
        ("latin-1", b'plan "caf\xe9"\n', "PA103"),
        ("empty", b"", "PA100"),
        ("only blanks", b"   \n\n\t\n", "PA100"),
        ("nul", b'plan "x"\x00\n', "PA103"),
        (
            "deep brackets",
            b'plan "x"\ninput a: list of number = ' + b"[" * 50_000 + b"1" + b"]" * 50_000 + b"\n",
            "PA105",
        ),
        ("deep parens", b'plan "x"\nstep a "x" if ' + b"(" * 50_000 + b"true" + b")" * 50_000 + b"\n", None),
        ("deep not", b'plan "x"\nstep a "x" if ' + b"not " * 20_000 + b"true\n", "PA105"),
        ("10 MB of junk", b'plan "x"\n' + b"\xff" * (10 * 2**20), "PA103"),
        ("17 MB", b"#" * (17 * 2**20), "PA103"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "",
)
def test_bad_input_gets_a_diagnostic_not_a_traceback(tmp_path, name, data, code):
    result = lint(tmp_path, data)
    assert "Traceback" not in result.stderr, result.stderr
    if code is None:
        assert result.returncode in (0, 1)
    else:
        assert result.returncode == 1 and f" {code} " in result.stdout, result.stdout[:2000]


def test_a_ten_megabyte_plan_parses(tmp_path):
    step = 'step s{i} "Open result {i}":\n    click link "Result {i}"\n\n'
    body = "".join(step.format(i=i) for i in range(10 * 2**20 // len(step.format(i=10**5))))
    data = ('plan "big"\n\n' + body).encode()
    assert len(data) > 10 * 10**6
    plan = parse_bytes(data)
    assert len(plan.steps) > 150_000


def test_lint_text_returns_diagnostics_for_unparsable_text():
    plan, diagnostics = lint_text("plan", "x.pa")
    assert plan is None and diagnostics[0].code == "PA100" and diagnostics[0].path == "x.pa"


def test_parse_raises_plan_error_only():
    with pytest.raises(PlanError):
        parse("\x00")


HUGE = "9" * 5000  # more digits than Python converts to an int (4300)
NUMBER_PLACES = {
    "scroll down N": 'step s "S":\n    scroll down {n}\n',
    "nth N": 'step s "S":\n    click button nth {n}\n',
    "max N": 'input xs: list of text\nstep s "S {{x}}" for x in xs max {n}\n',
    "tab switch N": 'step s "S":\n    tab switch {n}\n',
    "wait N": 'step s "S":\n    wait {n}\n',
    "number default": "input n: number = {n}\n",
    "negative default": "input n: number = -{n}\n",
    "condition operand": 'input m: number\nstep s "S" if m < {n}\n',
    "list item": "input ns: list of number = [1, {n}]\n",
    "call argument": 'define step p(k: number) "P {{k}}"\nstep s: p({n})\n',
}


OUT_OF_RANGE = {
    "5000 digits": HUGE,
    "5000 digits and a fraction": HUGE + ".5",
    "10^15": "1" + "0" * 15,
    "41 decimals": "0.5" + "0" * 40,
    "rounds up to 10^15": "999999999999999.99999",
}
WHOLE_ONLY = ("scroll down N", "nth N", "max N", "tab switch N")


@pytest.mark.parametrize(
    ("place", "number"),
    [
        (place, number)
        for place in NUMBER_PLACES
        for number in OUT_OF_RANGE.values()
        if "." not in number or place not in WHOLE_ONLY
    ],
    ids=[
        f"{place}-{name}"
        for place in NUMBER_PLACES
        for name, number in OUT_OF_RANGE.items()
        if "." not in number or place not in WHOLE_ONLY
    ],
)
def test_every_number_literal_is_bounded_with_a_diagnostic(place, number):
    text = 'plan "x"\n' + NUMBER_PLACES[place].format(n=number)
    plan, diagnostics = lint_text(text, "big.pa")
    assert plan is None
    (d,) = diagnostics
    assert d.code == "PA106" and d.path == "big.pa"
    line = text.split("\n")[d.span.line - 1]
    assert line[d.span.column - 1 :].lstrip("-").startswith(number[:5])
    assert "15 digits before the decimal point" in d.help and "10^15" in d.help
    assert len(d.message) <= 200


def test_numbers_inside_the_bound_keep_their_value():
    plan = parse('plan "x"\ninput a: number = 999999999999999\ninput b: number = -0.' + "1" * 30 + "\n")
    assert plan.inputs[0].default.value == 10**15 - 1
    assert plan.inputs[1].default.value == pytest.approx(-0.1111111111111111)


def test_an_exponent_is_not_a_number_literal_and_never_becomes_inf():
    _, diagnostics = lint_text('plan "x"\ninput n: number = 1e999\n')
    assert [d.code for d in diagnostics] == ["PA100"]


@pytest.mark.parametrize(
    "command",
    [["lint", "BAD"], ["fmt", "--check", "BAD"], ["graph", "BAD"], ["diff", "BAD", "OK"], ["diff", "OK", "BAD"]],
    ids=" ".join,
)
def test_commands_refuse_a_huge_number_without_a_traceback(tmp_path, command):
    files = {"BAD": tmp_path / "bad.pa", "OK": tmp_path / "ok.pa"}
    files["BAD"].write_text(f'plan "x"\nstep s "S":\n    scroll down {HUGE}\n')
    files["OK"].write_text('plan "x"\nstep s "S"\n')
    args = [str(files[a]) if a in files else a for a in command]
    result = subprocess.run([sys.executable, "-m", "planact", *args], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    assert "bad.pa:3:17: PA106 number" in result.stdout + result.stderr
    assert result.returncode == (1 if command[0] == "lint" else 2)  # diff: 2 (error), never 1 (the plans differ)
