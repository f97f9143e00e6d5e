"""Diagnostics: one type for every finding, from the parser or a lint rule."""

from __future__ import annotations

import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from .ast import NO_SPAN, Span

Severity = Literal["error", "warning"]

MAX_NAME = 40  # characters of a `name` quoted in a message
MAX_MESSAGE = 200
MAX_HELP = 300
MAX_EXCERPT = 120  # terminal columns of the source line shown under a diagnostic
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def clip_message(text: str, limit: int = MAX_MESSAGE) -> str:
    """A message with each quoted `name` cut to :data:`MAX_NAME` characters, then the whole to ``limit``."""
    if len(text) <= min(limit, MAX_NAME):
        return text
    parts = text.split("`")
    closed = len(parts) - (1 if len(parts) % 2 == 0 else 0)  # an odd backtick out: the text after it is plain
    for i in range(1, closed, 2):
        parts[i] = clip(parts[i], MAX_NAME)
    return clip("`".join(parts), limit)


def newline_normalised(text: str) -> str:
    """``\r\n`` and a lone ``\r`` (old Mac line ends) as ``\n``: how the parser counts lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def cell_width(ch: str) -> int:
    """Terminal columns a character takes: 2 for wide (CJK, most emoji), 0 for combining marks, else 1."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class Diagnostic(BaseModel):
    """A finding about a plan: a stable code, a message and where it is."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity = "error"
    message: str
    span: Span = NO_SPAN
    help: str | None = None
    path: str | None = None

    @field_validator("message")
    @classmethod
    def _short_message(cls, value: str) -> str:
        return clip_message(value, MAX_MESSAGE)

    @field_validator("help")
    @classmethod
    def _short_help(cls, value: str | None) -> str | None:
        return None if value is None else clip_message(value, MAX_HELP)

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
    text_lines = newline_normalised(source).split("\n") if source is not None else []
    if span and 0 < span.line <= len(text_lines):
        line = text_lines[span.line - 1]
        end = span.end_column if span.end_line == span.line and span.end_column > span.column else len(line) + 1
        shown, caret = excerpt(line, span.column, end)
        gutter = str(span.line)
        pad = " " * len(gutter)
        lines += [
            paint(f"{pad} |", "blue"),
            paint(f"{gutter} |", "blue") + " " + shown,
            paint(f"{pad} |", "blue") + " " + paint(caret + " " + d.severity, tone),
        ]
    if d.help:
        lines.append(paint(" " * (len(str(span.line)) if text_lines else 0) + " = help: ", "blue") + d.help)
    return "\n".join(lines)


def excerpt(line: str, column: int, end: int, width: int = MAX_EXCERPT) -> tuple[str, str]:
    """The part of a source line to show and the caret line under ``column``..``end`` (1-based, end exclusive).

    Columns count characters; the caret is placed by terminal width (a CJK character or an
    emoji takes two columns, a combining mark none).  A line wider than ``width`` columns is
    shown as a window that starts a little before the span, the cut ends marked with an
    ellipsis, and the caret never runs past what is shown.
    """
    cells = [" " if c == "\t" else c if c.isprintable() else "\ufffd" for c in line]
    n = len(cells)
    cells.append(" ")  # the column just past the end, where "expected end of line" points
    widths = [cell_width(c) for c in cells]
    start = min(max(column - 1, 0), n)
    stop = min(max(end - 1, start + 1), n + 1)
    first = 0
    if sum(widths) > width:
        first, room = start, width // 4  # a quarter of the window of context before the span
        while first > 0 and widths[first - 1] <= room:
            room -= widths[first - 1]
            first -= 1
    left = ELLIPSIS if first > 0 else ""
    budget = width - len(left)
    last, used = first, 0
    while last <= n and used + widths[last] <= budget:
        used += widths[last]
        last += 1
    right = ""
    if last <= n - 1:  # cut before the end of the line: room for the ellipsis
        while used + 1 > budget:
            last -= 1
            used -= widths[last]
        right = ELLIPSIS
    shown = left + "".join(cells[first : min(last, n)]) + right
    lead = len(left) + sum(widths[first:start])
    marks = max(1, sum(widths[start : min(stop, last)]))
    return shown, " " * lead + "^" * marks


def summary_line(diagnostics: list[Diagnostic], files: int) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors

    def n(k: int, word: str) -> str:
        return f"{k} {word}{'' if k == 1 else 's'}"

    if not diagnostics:
        return f"All checks passed ({n(files, 'file')})."
    return f"Found {n(errors, 'error')} and {n(warnings, 'warning')} in {n(files, 'file')}."
