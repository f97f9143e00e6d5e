"""The text of an open document as the editor has it, in LSP's units.

LSP positions are 0-based lines and columns counted in the code units of the negotiated
position encoding (UTF-16 unless the client offers another); planact's spans are 1-based
and count characters.  Lines end at ``\\r\\n``, ``\\r`` or ``\\n`` in both (the parser reads a
lone ``\\r`` as a line end, as LSP does), and nowhere else: a form feed or U+2028 inside a
line is part of the line, whatever ``str.splitlines`` thinks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE_END = re.compile(r"\r\n|\r|\n")

Encoding = str  # "utf-16" | "utf-8" | "utf-32", as LSP's PositionEncodingKind spells them


def units(text: str, encoding: Encoding) -> int:
    """How many code units of ``encoding`` the text takes."""
    if text.isascii() or encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def char_index(line: str, count: int, encoding: Encoding) -> int:
    """The character index in ``line`` that ``count`` code units reach (clamped to the line)."""
    if count <= 0:
        return 0
    if line.isascii() or encoding == "utf-32":
        return min(count, len(line))
    used = 0
    for i, c in enumerate(line):
        if used >= count:
            return i
        used += units(c, encoding)
    return len(line)


@dataclass
class TextBuffer:
    """One open document: its URI, version and text, with conversions between spans and LSP positions."""

    uri: str
    text: str
    version: int = 0
    encoding: Encoding = "utf-16"
    _starts: list[int] | None = field(default=None, repr=False)
    _lines: list[str] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ lines

    @property
    def lines(self) -> list[str]:
        """The lines without their line ends (an empty last line after a final line end)."""
        if self._lines is None:
            self._lines = _LINE_END.split(self.text)
        return self._lines

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in _LINE_END.finditer(self.text)]
        return self._starts

    def line(self, index: int) -> str:
        """Line ``index`` (0-based), or "" past the end."""
        lines = self.lines
        return lines[index] if 0 <= index < len(lines) else ""

    # ------------------------------------------------------------ conversions

    def position(self, line: int, column: int) -> tuple[int, int]:
        """A 1-based span position (characters) as an LSP ``(line, character)``, clamped to the text."""
        lines = self.lines
        row = min(max(line - 1, 0), len(lines) - 1)
        text = lines[row]
        col = min(max(column - 1, 0), len(text))
        return row, units(text[:col], self.encoding)

    def span_position(self, line: int, character: int) -> tuple[int, int]:
        """An LSP position as a 1-based span ``(line, column)`` in characters, clamped to the text."""
        lines = self.lines
        row = min(max(line, 0), len(lines) - 1)
        return row + 1, char_index(lines[row], character, self.encoding) + 1

    def offset(self, line: int, character: int) -> int:
        """The index into ``text`` of an LSP position (a line past the end: the end of the text)."""
        starts = self._line_starts()
        if line >= len(starts):
            return len(self.text)
        if line < 0:
            return 0
        return starts[line] + char_index(self.line(line), character, self.encoding)

    def end_position(self) -> tuple[int, int]:
        """The LSP position just past the last character."""
        last = len(self.lines) - 1
        return last, units(self.lines[last], self.encoding)

    # ---------------------------------------------------------------- editing

    def replace(self, text: str, version: int) -> None:
        """Take a whole new text (a full-document change)."""
        self.text, self.version = text, version
        self._starts = self._lines = None

    def edit(self, start: tuple[int, int], end: tuple[int, int], new_text: str, version: int) -> None:
        """Apply one incremental change: replace ``start``..``end`` (LSP positions) with ``new_text``."""
        a, b = self.offset(*start), self.offset(*end)
        if b < a:
            a, b = b, a
        self.replace(self.text[:a] + new_text + self.text[b:], version)
