"""Syntax errors in words: Lark's parse errors turned into diagnostics with codes and hints."""

from __future__ import annotations

import difflib
import re
import unicodedata

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from . import ast
from .diagnostics import Diagnostic

_TOKEN_WORDS = {
    "NAME": "a name", "STRING": "a string", "NUMBER": "a number", "INT": "a whole number",
    "_NL": "end of line", "_INDENT": "an indented action block", "_DEDENT": "end of the block",
    "$END": "end of file", "TARGET_KIND": "a target kind (button, link, textbox, css, ...)",
    "SCALAR_TYPE": "a type (text, number, bool, url, secret)", "DIRECTION": "`up` or `down`",
}  # fmt: skip


def _words(names: set[str], terminals: list) -> str:
    patterns = {t.name: t.pattern for t in terminals}
    shown = set()
    for name in names:
        if name in _TOKEN_WORDS:
            shown.add(_TOKEN_WORDS[name])
        elif name in patterns and patterns[name].type == "str":
            shown.add(f"`{patterns[name].value}`")
        else:
            shown.add(name)
    ordered = sorted(shown, key=lambda w: (not w.startswith("`"), w))
    if len(ordered) > 8:
        ordered = ordered[:8] + ["..."]
    return ", ".join(ordered)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def syntax_diagnostic(err: UnexpectedInput, text: str, terminals: list) -> Diagnostic:
    """A Lark parse error as a diagnostic: the token found and the tokens that could come there, in words."""
    line, column = err.line, err.column
    if isinstance(err, UnexpectedToken) and err.token.type == "_INDENT":
        return _unexpected_indent(err.token, text)
    if isinstance(err, UnexpectedToken) and err.token.type == "$END":
        lines = text.split("\n")
        line = len(lines)
        column = len(lines[-1]) + 1
    expected = set(getattr(err, "expected", None) or getattr(err, "allowed", None) or ())
    if isinstance(err, UnexpectedToken):
        found_text = str(err.token.value)
        width = max(len(found_text), 1) if err.token.type not in ("_NL", "$END", "_DEDENT", "_INDENT") else 1
        found = {
            "_NL": "end of line",
            "$END": "end of file",
            "_DEDENT": "end of block",
            "_INDENT": "an indented block",
        }.get(err.token.type, f"`{found_text}`")
    else:
        m = _WORD.match(text, err.pos_in_stream) if isinstance(err, UnexpectedCharacters) else None
        found_text = (
            m.group(0)
            if m
            else text[err.pos_in_stream : err.pos_in_stream + 1]
            if isinstance(err, UnexpectedCharacters)
            else ""
        )
        width = max(len(found_text), 1)
        if found_text and not found_text.isprintable():
            found = f"character {_char_name(found_text)}"
        else:
            found = f"`{found_text}`" if found_text else "this"
    span = ast.Span(line=line, column=column, end_line=line, end_column=column + width)
    word = found_text if _WORD.fullmatch(found_text or "") else None
    if word and "GOTO" in expected:
        close = difflib.get_close_matches(word, ast.ACTION_KEYWORDS, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "actions are: " + ", ".join(ast.ACTION_KEYWORDS)
        return Diagnostic(code="PA101", message=f"unknown action `{word}`", span=span, help=hint)
    if word and "TARGET_KIND" in expected:
        close = difflib.get_close_matches(word, ast.TARGET_KINDS, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "target kinds are: " + ", ".join(ast.TARGET_KINDS)
        return Diagnostic(code="PA102", message=f"unknown target kind `{word}`", span=span, help=hint)
    if isinstance(err, UnexpectedCharacters) and text[err.pos_in_stream : err.pos_in_stream + 1] == '"':
        return Diagnostic(
            code="PA100", message="unterminated string", span=span, help='close the string with `"` on the same line'
        )
    message = f"unexpected {found}"
    if expected:
        message += f"; expected {_words(expected, terminals)}"
    return Diagnostic(code="PA100", message=message, span=span)


def _char_name(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name.lower()})" if name else "")


def _unexpected_indent(token, text: str) -> Diagnostic:
    """An indented line where no block opens, with advice that fits the line before it.

    The indent token borrows the position of the line break before it: it starts on the
    last line of code and ends on the indented line (comments and blank lines between).
    """
    line = token.end_line or token.line + 1
    span = ast.Span(line=line, column=1, end_line=line, end_column=2)
    lines = text.split("\n")
    before = lines[token.line - 1][: token.column - 1] if 0 < token.line <= len(lines) else ""
    code = before.strip()
    if before[:1] in (" ", "\t"):  # the line before is an action of a block
        message = "unexpected indentation: this line is indented deeper than the action before it"
        help = "indent every action of a block by the same amount (4 spaces under its step)"
    elif code.startswith("step ") and code.endswith(")"):
        message = "unexpected indented line: a step that calls a procedure has no action block"
        help = 'write the actions in a block (`step id "...":` and then the indented actions) or keep the call'
    elif code.startswith(("step ", "define ")):
        message = "unexpected indented line"
        help = "only actions are indented: end the step line with `:` to open an action block"
    else:
        message = "unexpected indented line"
        help = "only actions are indented, in a block under a `step` line that ends with `:`; other lines start at column 1"
    return Diagnostic(code="PA100", message=message, span=span, help=help)


def dedent_line(source: str, message: str) -> int:
    """Find the first line whose indentation matches no open block (Lark's DedentError has no position)."""
    stack = [0]
    for lineno, line in enumerate(source.split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        width = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        if width > stack[-1]:
            stack.append(width)
            continue
        while width < stack[-1]:
            stack.pop()
        if width != stack[-1]:
            return lineno
    return 1
