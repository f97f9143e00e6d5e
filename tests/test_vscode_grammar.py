"""The VS Code extension's TextMate grammar (editors/vscode/syntaxes/planact.tmLanguage.json).

Two checks: in Python, that every keyword, action, target kind and type the Lark grammar knows
is named by the TextMate grammar's rule for it; and, with VS Code's own tokenizer
(vscode-textmate on the oniguruma engine, run by node from editors/vscode/test/, installed there
with `npm ci` from its lock file when missing), that every plan in plans/ and the stdlib
tokenizes with a scope on every non-blank character and no `invalid` token.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from planact.syntax import ast
from planact.syntax.parser import grammar_text

ROOT = Path(__file__).parent.parent
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "planact.tmLanguage.json"
HARNESS = VSCODE / "test"


def patterns(node: object) -> list[str]:
    """Every `match`/`begin` regex in a TextMate grammar rule, nested ones included."""
    if isinstance(node, dict):
        found = [node[k] for k in ("match", "begin") if k in node]
        for value in node.values():
            found += patterns(value)
        return found
    if isinstance(node, list):
        return [p for item in node for p in patterns(item)]
    return []


def names(rule: object) -> set[str]:
    """The words a rule's regexes spell out in their alternations."""
    return {w for p in patterns(rule) for w in re.findall(r"[a-z_]+", re.sub(r"\\[A-Za-z]", " ", p))}  # not `\b`


def test_every_word_of_the_lark_grammar_is_in_the_textmate_grammar():
    tm = json.loads(GRAMMAR.read_text())
    repo = tm["repository"]
    keywords = set(re.findall(r'"([a-z_]+)"', grammar_text()))
    assert {"plan", "step", "after", "goto", "within", "matching", "button", "secret", "up"} <= keywords
    assert keywords <= names(tm), sorted(keywords - names(tm))
    assert set(ast.ACTION_KEYWORDS) <= names(repo["action"])
    assert set(ast.TARGET_KINDS) <= names(repo["target"])
    assert {"text", "number", "bool", "url", "secret", "list", "of", "record"} <= names(repo["type"])
    assert {"plan", "goal", "use", "site", "input", "define", "step", "remove", "done"} <= names(repo["declaration"])
    assert {"and", "or", "not", "contains", "matches"} <= names(repo["clause"])


@pytest.fixture(scope="module")
def tokenize():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("no node/npm: the grammar is run by VS Code's tokenizer under node (apt-get install nodejs npm)")
    if not (HARNESS / "node_modules" / "vscode-textmate").is_dir():
        done = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=HARNESS, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, f"npm ci in {HARNESS} failed:\n{done.stdout}\n{done.stderr}"

    def run(*files: Path) -> dict[str, list[dict]]:
        done = subprocess.run(
            [node, str(HARNESS / "tokenize.js"), str(GRAMMAR), *map(str, files)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out = [json.loads(line) for line in done.stdout.splitlines()]
        return {Path(o["file"]).name: o["tokens"] for o in out}

    return run


def _unknown(tokens: list[dict]) -> list[tuple[int, str, list[str]]]:
    return [
        (t["line"], t["text"], t["scopes"])
        for t in tokens
        if t["text"].strip()
        and (len(t["scopes"]) == 1 or any(".invalid" in s or s.startswith("invalid") for s in t["scopes"]))
    ]


def test_every_plan_tokenizes_with_no_unknown_span(tokenize):
    files = sorted(ROOT.glob("plans/**/*.pa")) + sorted(ROOT.glob("stdlib/*.pa"))
    assert len(files) > 100
    result = tokenize(*files)
    assert len(result) == len({f.name for f in files})
    bad = {name: _unknown(tokens)[:5] for name, tokens in result.items() if _unknown(tokens)}
    assert not bad, bad


def scopes_of(tokens: list[dict], line: int, text: str) -> list[str]:
    return next(t["scopes"] for t in tokens if t["line"] == line and t["text"] == text)


def test_tokens_get_the_scope_of_what_they_are(tokenize, tmp_path):
    plan = tmp_path / "sample.pa"
    plan.write_text(
        'plan "Sample"  # a title\n'
        "use web\n"
        'site shop = "http://127.0.0.1:8765"\n'
        'input q: list of text = ["a"]\n'
        'step read "Read {q}" -> text after home for x in q max 3 if page.url contains "a":\n'
        '    goto shop "/"\n'
        '    extract text "Total" first within css ".cart" as number\n'
        '    clik button "Oops"\n'
    )
    tokens = tokenize(plan)["sample.pa"]
    assert "comment.line.number-sign.planact" in scopes_of(tokens, 1, "# a title")
    assert "entity.name.namespace.planact" in scopes_of(tokens, 2, "web")
    assert "variable.other.constant.site.planact" in scopes_of(tokens, 3, "shop")
    assert "storage.type.scalar.planact" in scopes_of(tokens, 4, "text")  # `text` the type ...
    assert "entity.name.function.step.planact" in scopes_of(tokens, 5, "read")
    assert "variable.other.interpolated.planact" in scopes_of(tokens, 5, "q")
    assert "keyword.other.clause.planact" in scopes_of(tokens, 5, "after")
    assert "variable.language.page.planact" in scopes_of(tokens, 5, "page")
    assert "keyword.control.action.planact" in scopes_of(tokens, 6, "goto")
    assert "variable.other.constant.site.planact" in scopes_of(tokens, 6, "shop")
    assert "support.type.target.locator.planact" in scopes_of(tokens, 7, "text")  # ... and the target kind
    assert "support.type.target.locator.planact" in scopes_of(tokens, 7, "css")
    assert "invalid.illegal.unknown-action.planact" in scopes_of(tokens, 8, "clik")  # the check is not vacuous
