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
