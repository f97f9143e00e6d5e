"""The command line, run in-process through click's runner (and once as a real process)."""

import json
import subprocess
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from planact.check import all_rules
from planact.cli import main

CLEAN = 'plan "Open the shop"\n\nsite shop = "http://127.0.0.1:8765"\n\nstep home "Open the home page":\n    goto shop "/"\n'
WARNS = CLEAN.replace("\n\nstep", "\n\ninput unused: text\n\nstep")
BROKEN = 'plan "Broken"\nstep a "A" after nowhere\n'
MESSY = 'plan  "Open the shop"\nsite shop="http://127.0.0.1:8765"\nstep home "Open the home page" :\n  goto shop "/"\n'


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in {"clean": CLEAN, "warns": WARNS, "broken": BROKEN, "messy": MESSY}.items():
        paths[name] = tmp_path / f"{name}.pa"
        paths[name].write_text(text)
    return paths


def test_lint_clean_file_exits_0(files):
    result = run("lint", str(files["clean"]))
    assert result.exit_code == 0 and "All checks passed (1 file)." in result.output


def test_lint_warnings_exit_0_errors_exit_1(files):
    assert run("lint", str(files["warns"])).exit_code == 0
    result = run("lint", "--no-color", str(files["broken"]), str(files["clean"]))
    assert result.exit_code == 1
    assert f"{files['broken']}:2:18: PA203 `after` names unknown step `nowhere`" in result.output
    assert '2 | step a "A" after nowhere\n  |                  ^^^^^^^ error' in result.output
    assert result.output.rstrip().endswith("Found 1 error and 0 warnings in 2 files.")


def test_lint_json(files):
    result = run("lint", "--format", "json", str(files["broken"]), str(files["warns"]))
    found = json.loads(result.stdout)
    assert [(d["code"], d["severity"], d["span"]["line"], d["span"]["column"]) for d in found] == [
        ("PA203", "error", 2, 18),
        ("PA405", "warning", 5, 7),
    ]
    schema = json.loads(run("schema", "diagnostic").stdout)
    for item in found:
        jsonschema.validate(item, schema)


def test_lint_reads_stdin():
    result = run("lint", "-", input=BROKEN)
    assert result.exit_code == 1 and "-:2:18: PA203" in result.output


def test_lint_unreadable_file(tmp_path):
    result = run("lint", str(tmp_path / "missing.pa"))
    assert result.exit_code == 1 and "PA000 cannot read file" in result.output


@pytest.mark.parametrize("code", list(all_rules()))
def test_every_code_is_explained(code):
    result = run("lint", "--explain", code.lower())
    assert result.exit_code == 0
    assert result.output.startswith(code) and "What:" in result.output and "Example:" in result.output


def test_explain_unknown_code_is_a_usage_error():
    result = run("lint", "--explain", "PA999")
    assert result.exit_code == 2 and "unknown code" in result.output


def test_list_codes():
    result = run("lint", "--list-codes")
    assert result.exit_code == 0 and "PA201  error    undefined-name" in result.output


def test_fmt_check_and_rewrite(files):
    assert run("fmt", "--check", str(files["clean"])).exit_code == 0
    result = run("fmt", "--check", str(files["messy"]))
    assert result.exit_code == 1 and "would reformat" in result.output
    assert files["messy"].read_text() == MESSY  # --check changes nothing
    assert run("fmt", str(files["messy"])).exit_code == 0
    assert files["messy"].read_text() == CLEAN
    assert run("fmt", "--check", str(files["messy"])).exit_code == 0


def test_fmt_stdin_to_stdout():
    result = run("fmt", "-", input=MESSY)
    assert result.exit_code == 0 and result.output == CLEAN


def test_fmt_refuses_unparsable_file(files):
    result = run("fmt", str(files["clean"]), "-", input="plan")
    assert result.exit_code == 2 and "PA100" in result.output


def test_help_runs_as_a_real_process():
    result = subprocess.run([sys.executable, "-m", "planact", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("lint", "fmt"):
        assert command in result.stdout


def test_plan_schema_validates_a_parsed_plan():
    from planact import parse

    schema = json.loads(run("schema", "plan").stdout)
    jsonschema.validate(parse(CLEAN).model_dump(mode="json"), schema)
