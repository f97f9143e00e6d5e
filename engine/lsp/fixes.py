"""Quick fixes: the edits a diagnostic's rule knows.

* A rule that suggests a name (``did you mean `click`?`` -- an unknown action, target
  kind, name, step, site or procedure) is fixed by writing the suggested name where the
  wrong one is.  The fix is marked preferred: it is what the rule's help says to do.
* Every lint finding can be silenced on its line with ``# noqa: CODE`` (added to a
  ``noqa`` comment already there); syntax errors cannot (the plan must parse first).

Edits are ``(span, new text)`` in the document's 1-based character spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..check import all_rules
from ..syntax import ast
from ..syntax.diagnostics import Diagnostic

_SUGGESTION = re.compile(r"did you mean `([^`]+)`\?")
_QUOTED = re.compile(r"`([^`]+)`")
_NOQA = re.compile(r"#.*?\bnoqa:\s*PA\d{3}(?:[\s,]+PA\d{3})*", re.IGNORECASE)


@dataclass(frozen=True)
class Fix:
    """A code action: its title, the diagnostic it fixes and its edits."""

    title: str
    diagnostic: Diagnostic
    edits: tuple[tuple[ast.Span, str], ...]
    preferred: bool = False


def _wrong_name(d: Diagnostic) -> str | None:
    """The name the message quotes as wrong (the last backticked name before the suggestion)."""
    names = [n for n in _QUOTED.findall(d.message) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]
    return names[-1] if names else None


def rename_fix(d: Diagnostic, lines: list[str]) -> Fix | None:
    """``did you mean `x`?``: the wrong name inside the span replaced with ``x``."""
    m = _SUGGESTION.search(d.help or "")
    wrong = _wrong_name(d)
    if not m or not wrong or not d.span or not 0 < d.span.line <= len(lines):
        return None
    text = lines[d.span.line - 1]
    stop = d.span.end_column - 1 if d.span.end_line == d.span.line else len(text)
    limit = stop if stop > d.span.column - 1 else len(text)
    for found in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(wrong)}(?![A-Za-z0-9_])", text):
        if d.span.column - 1 <= found.start() and found.end() <= limit:
            span = ast.Span(d.span.line, found.start() + 1, d.span.line, found.end() + 1)
            return Fix(f"Change `{wrong}` to `{m.group(1)}`", d, ((span, m.group(1)),), preferred=True)
    return None


def noqa_fix(d: Diagnostic, lines: list[str]) -> Fix | None:
    """Silence a lint finding with ``# noqa: CODE`` on its line."""
    rule = all_rules().get(d.code)
    if rule is None or rule.origin != "lint" or not d.span or not 0 < d.span.line <= len(lines):
        return None
    line = d.span.line
    text = lines[line - 1]
    existing = _NOQA.search(text)
    if existing:
        at = existing.end() + 1
        span = ast.Span(line, at, line, at)
        return Fix(f"Silence {d.code} on this line (# noqa)", d, ((span, f", {d.code}"),))
    end = len(text.rstrip()) + 1
    span = ast.Span(line, end, line, len(text) + 1)
    return Fix(f"Silence {d.code} on this line (# noqa)", d, ((span, f"  # noqa: {d.code}"),))


def fixes_for(diagnostics: list[Diagnostic], lines: list[str]) -> list[Fix]:
    """Every fix for these diagnostics, the rules' own first."""
    found = [rename_fix(d, lines) for d in diagnostics] + [noqa_fix(d, lines) for d in diagnostics]
    return [f for f in found if f is not None]
