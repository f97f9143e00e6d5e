"""Diagnostics as a SARIF 2.1.0 log, the format code-review tools read (GitHub code scanning among them).

One run, whose tool lists every rule planact has -- its code, name, one-line summary, the
``--explain`` text as help and its severity as the default level -- and one result per
diagnostic: the rule, the message (with the help), and the file and region it is about.
Columns count characters (``columnKind: unicodeCodePoints``), as planact's spans do;
paths are written as given, relative ones against the checkout root (``%SRCROOT%``).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from urllib.parse import quote

from ..syntax.diagnostics import Diagnostic
from .rule import Rule, all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning"}


def _summary(rule: type[Rule]) -> str:
    """The first sentence of the rule's What: section."""
    doc = inspect.getdoc(rule) or ""
    m = re.search(r"What:\s*(.+?)(?:\n\s*\n|\Z)", doc, re.DOTALL)
    text = " ".join((m.group(1) if m else rule.name).split())
    first = re.match(r"(.+?[.;:])(?:\s|\Z)", text)
    return (first.group(1) if first else text)[:200]


def rule_descriptor(rule: type[Rule]) -> dict:
    """A ``reportingDescriptor`` of one rule."""
    explain = rule.explain().strip()
    return {
        "id": rule.code,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": _summary(rule)},
        "fullDescription": {"text": (inspect.getdoc(rule) or rule.name).strip()},
        "help": {"text": explain, "markdown": explain},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": [rule.origin], "problem.severity": rule.severity},
    }


def artifact_uri(path: str) -> tuple[str, str | None]:
    """A path as a SARIF artifact URI and its base: relative against %SRCROOT%, absolute as ``file:``."""
    if path == "-":
        return "stdin", None
    p = Path(path)
    if p.is_absolute():
        return p.as_uri(), None
    return quote(p.as_posix()), "%SRCROOT%"


def _region(d: Diagnostic) -> dict | None:
    span = d.span
    if not span:
        return None
    region = {"startLine": span.line, "startColumn": max(span.column, 1)}
    if span.end_line >= span.line:
        region["endLine"] = span.end_line
        if span.end_column > 0 and (span.end_line > span.line or span.end_column > span.column):
            region["endColumn"] = span.end_column
    return region


def result(d: Diagnostic, rule_index: dict[str, int], path: str | None) -> dict:
    """One SARIF ``result`` of a diagnostic."""
    message = d.message + (f" (help: {d.help})" if d.help else "")
    out: dict = {"ruleId": d.code, "level": _LEVEL[d.severity], "message": {"text": message}}
    if d.code in rule_index:
        out["ruleIndex"] = rule_index[d.code]
    where = d.path or path
    if where is not None:
        uri, base = artifact_uri(where)
        physical: dict = {"artifactLocation": {"uri": uri, **({"uriBaseId": base} if base else {})}}
        region = _region(d)
        if region is not None:
            physical["region"] = region
        out["locations"] = [{"physicalLocation": physical}]
    return out


def sarif_log(diagnostics: list[Diagnostic], *, version: str, files: list[str] | None = None) -> dict:
    """The SARIF log of one lint run (``files``: every file checked, listed as artifacts)."""
    rules = list(all_rules().values())
    index = {r.code: i for i, r in enumerate(rules)}
    run: dict = {
        "tool": {
            "driver": {
                "name": "planact",
                "version": version,
                "semanticVersion": version,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [result(d, index, None) for d in diagnostics],
        "invocations": [{"executionSuccessful": True}],
    }
    if files:
        artifacts = []
        for f in files:
            uri, base = artifact_uri(f)
            artifacts.append({"location": {"uri": uri, **({"uriBaseId": base} if base else {})}})
        run["artifacts"] = artifacts
    if any(artifact_uri(f)[1] for f in files or ()) or any(d.path and artifact_uri(d.path)[1] for d in diagnostics):
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
