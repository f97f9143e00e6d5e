"""Diagnostics: one type for every finding, from the parser or a lint rule."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .ast import NO_SPAN, Span

Severity = Literal["error", "warning"]


class Diagnostic(BaseModel):
    """A finding about a plan: a stable code, a message and where it is."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity = "error"
    message: str
    span: Span = NO_SPAN
    help: str | None = None
    path: str | None = None

    def located(self, path: str) -> Diagnostic:
        """The same diagnostic, attributed to a file."""
        return self.model_copy(update={"path": path})

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.span.line, self.span.column, self.code)


class PlanError(Exception):
    """Raised where a plan cannot be turned into a tree or graph; carries its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(f"{d.code} {d.message}" for d in diagnostics))
        self.diagnostics = diagnostics


def render(diagnostic: Diagnostic, source: str | None = None, *, color: bool = False) -> str:
    """``path:line:col: CODE message``, then the source line with a caret under the span and the help."""

    def paint(text: str, fg: str, bold: bool = False) -> str:
        if not color:
            return text
        codes = {"red": "31", "yellow": "33", "blue": "34", "cyan": "36"}[fg]
        return f"\x1b[{'1;' if bold else ''}{codes}m{text}\x1b[0m"

    d, span = diagnostic, diagnostic.span
    where = f"{d.path or '<plan>'}:{span.line or 1}:{span.column or 1}"
    tone = "red" if d.severity == "error" else "yellow"
    lines = [f"{paint(where, 'cyan')}: {paint(d.code, tone, bold=True)} {d.message}"]
    text_lines = source.split("\n") if source is not None else []
    if span and 0 < span.line <= len(text_lines):
        line = text_lines[span.line - 1].replace("\t", " ")
        shown = "".join(c if c.isprintable() else "\ufffd" for c in line[:200])
        gutter = str(span.line)
        pad = " " * len(gutter)
        end = span.end_column if span.end_line == span.line and span.end_column > span.column else len(line) + 1
        width = max(1, min(end, len(shown) + 1) - span.column)
        caret = " " * (span.column - 1) + "^" * width
        lines += [
            paint(f"{pad} |", "blue"),
            paint(f"{gutter} |", "blue") + " " + shown,
            paint(f"{pad} |", "blue") + " " + paint(caret + " " + d.severity, tone),
        ]
    if d.help:
        lines.append(paint(" " * (len(str(span.line)) if text_lines else 0) + " = help: ", "blue") + d.help)
    return "\n".join(lines)


def summary_line(diagnostics: list[Diagnostic], files: int) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors

    def n(k: int, word: str) -> str:
        return f"{k} {word}{'' if k == 1 else 's'}"

    if not diagnostics:
        return f"All checks passed ({n(files, 'file')})."
    return f"Found {n(errors, 'error')} and {n(warnings, 'warning')} in {n(files, 'file')}."
