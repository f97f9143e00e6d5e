"""Regexes in and out: the terminals' patterns read into nodes, and nodes written back as regexes.

The reader knows the part of Python's regex syntax that a decoding grammar
can say again, which is what the plan grammar's terminals are written in:

* literal characters, and escapes: ``\\n \\t \\r \\f \\v \\a``, ``\\xhh``, ``\\uhhhh``,
  ``\\Uhhhhhhhh`` and a backslash before any character that is not a letter or
  a digit (``\\. \\\\ \\{``);
* ``.`` (any character but a line break), classes ``[...]`` and ``[^...]`` with
  ranges, and ``\\d \\w \\s`` (ASCII only: a subset of what Python's are, so the
  decoder's language stays a sublanguage of the parser's);
* groups ``(...)`` and ``(?:...)``, alternation ``|``;
* greedy repeats ``* + ?``, ``{m}``, ``{m,}``, ``{,n}`` and ``{m,n}``.

Anything else (anchors, lookarounds, named groups, backreferences, octal
escapes, lazy or possessive repeats, inline flags, ``\\D \\W \\S \\b``, a brace
that is not a count) is a :class:`~.nodes.GrammarError` that names it.  Two
rewrites keep alternatives small, as Python's own parser makes them (so the
nodes are the ones that reading its parse gave): the single characters every
alternative starts with are taken out in front (``ab|ac`` is ``a(b|c)``), and
alternatives that are each one character make one class (``a|[bc]`` is
``[a-c]``); the items of a ``(?:...)`` group that no repeat follows count as
items of the sequence around it for both.

The writer (:func:`to_regex`) prints a node as a regex that both Python's ``re``
and Rust's ``regex`` crate read the same way.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .nodes import WORD, Alt, Chars, GrammarError, Lit, Node, Repeat, Seq, lexeme_seq, merged_ranges, suffix

Ranges = tuple[tuple[int, int], ...]
ClassItem = int | tuple[int, int] | str  # in a class: a code point, a range, a category letter (``d w s``)
CATEGORIES: dict[str, Ranges] = {"d": ((48, 57),), "w": WORD, "s": ((9, 13), (32, 32))}  # ASCII only
_NAMED = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_COUNT = re.compile(r"\{(\d*)(,?)(\d*)\}")
_SINGLE = ("char", "class", "plain")  # atoms that are one character (groups and repeats are not)
_SUPPORTED = "write the terminal with literals, classes, groups, | and greedy repeats"


class _Atom(NamedTuple):
    """One item of a sequence and what it is: ``char`` (one literal character), ``class`` (a positive class),
    ``plain`` (another single character: a negated class, ``.``), ``repeat``, ``compound`` (a group, ``|``) or
    ``inline`` (a ``(?:...)`` group, whose ``inner`` items join the sequence unless a repeat follows it)."""

    node: Node
    kind: str
    items: tuple[ClassItem, ...] = ()  # a class as written (two alike only when written alike); a character's own
    inner: tuple[_Atom, ...] = ()


def regex_node(pattern: str, where: str = "regex") -> Node:
    """A Python regular expression as a node: literals, classes, groups, ``|`` and greedy repeats only."""
    return lexeme_seq(atom.node for atom in _Reader(pattern, where).alternation(0))


class _Reader:
    """A recursive descent over one pattern; ``pos`` is the next character to read."""

    def __init__(self, pattern: str, where: str) -> None:
        self.text, self.where, self.pos = pattern, where, 0

    def error(self, reason: str) -> GrammarError:
        return GrammarError(f"{self.where}: bad regex {self.text!r}: {reason} at position {self.pos}")

    def unsupported(self, construct: str) -> GrammarError:
        return GrammarError(
            f"{self.where}: the regex construct {construct} in {self.text!r} has no counterpart in the decoding "
            f"grammars; {_SUPPORTED}"
        )

    def peek(self, ahead: int = 0) -> str | None:
        at = self.pos + ahead
        return self.text[at] if at < len(self.text) else None

    def take(self) -> str:
        c = self.peek()
        if c is None:
            raise self.error("unexpected end of pattern")
        self.pos += 1
        return c

    # --- alternatives and sequences
    def alternation(self, depth: int) -> list[_Atom]:
        branches = [self.sequence(depth)]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence(depth))
        if len(branches) == 1:
            return branches[0]
        prefix: list[_Atom] = []
        while all(branches) and branches[0][0].kind in _SINGLE and all(b[0] == branches[0][0] for b in branches):
            prefix.append(branches[0][0])
            branches = [b[1:] for b in branches]
        if all(len(b) == 1 and b[0].kind in ("char", "class") for b in branches):
            items = tuple(dict.fromkeys(item for b in branches for item in b[0].items))
            return prefix + [_Atom(Chars(_class_ranges(items)), "class", items)]
        alternatives = Alt(tuple(lexeme_seq(atom.node for atom in b) for b in branches))
        return prefix + [_Atom(alternatives, "compound")]

    def sequence(self, depth: int) -> list[_Atom]:
        atoms: list[_Atom] = []
        while (c := self.peek()) is not None and c != "|":
            if c == ")":
                if depth == 0:
                    raise self.error("unbalanced parenthesis")
                break
            if c in "*+?" or (c == "{" and _COUNT.match(self.text, self.pos)):
                atoms.append(self.repeat(atoms))
            else:
                atoms.append(self.atom())
        return [inner for atom in atoms for inner in (atom.inner if atom.kind == "inline" else (atom,))]

    def repeat(self, atoms: list[_Atom]) -> _Atom:
        if not atoms:
            raise self.error("nothing to repeat")
        if atoms[-1].kind == "repeat":
            raise self.error("multiple repeat")
        low, high = self.count()
        if self.peek() == "?":
            raise self.unsupported(f"{self.text[self.pos - 1]}? (a lazy repeat)")
        if self.peek() == "+":
            raise self.unsupported(f"{self.text[self.pos - 1]}+ (a possessive repeat)")
        return _Atom(Repeat(lexeme_seq([atoms.pop().node]), low, high), "repeat")

    def count(self) -> tuple[int, int | None]:
        c = self.take()
        if c != "{":
            return {"?": (0, 1), "*": (0, None), "+": (1, None)}[c]
        found = _COUNT.match(self.text, self.pos - 1)
        assert found is not None  # sequence() looked
        self.pos = found.end()
        low, comma, high = found.groups()
        if not (low or high):
            raise self.error("a count needs a number")
        bounds = (int(low or 0), int(high) if high else None if comma else int(low))
        if bounds[1] is not None and bounds[1] < bounds[0]:
            raise self.error("min repeat greater than max repeat")
        return bounds

    # --- single items
    def atom(self) -> _Atom:
        c = self.take()
        if c == "\\":
            point = self.escape()
            if isinstance(point, int):
                return _Atom(Lit(chr(point)), "char", (point,))
            return _Atom(Chars(CATEGORIES[point]), "class", (point,))
        if c == "[":
            return self.char_class()
        if c == "(":
            return self.group()
        if c == ".":
            return _Atom(Chars(((10, 10),), negated=True), "plain")
        if c in "^$":
            raise self.unsupported(f"{c} (an anchor)")
        if c in "{}":
            raise self.error(f"a {c} that is not part of a count {{m}}, {{m,}}, {{,n}} or {{m,n}} (write \\{c})")
        return _Atom(Lit(c), "char", (ord(c),))

    def group(self) -> _Atom:
        capturing = self.peek() != "?"
        if not capturing:
            if self.peek(1) != ":":
                form = self.text[self.pos - 1 : self.pos + 2]
                is_flags = (self.peek(1) or "?") in "aiLmsux-"
                raise self.unsupported(f"{form}...) ({'inline regex flags' if is_flags else 'a special group'})")
            self.pos += 2
        inner = self.alternation(1)
        if self.peek() != ")":
            raise self.error("missing ), unterminated group")
        self.pos += 1
        node = lexeme_seq(atom.node for atom in inner)
        return _Atom(node, "compound") if capturing else _Atom(node, "inline", inner=tuple(inner))

    def char_class(self) -> _Atom:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        items: list[ClassItem] = []
        while True:
            if self.peek() is None:
                raise self.error("unterminated character class")
            if self.peek() == "]" and items:
                self.pos += 1
                break
            item = self.class_item()
            if self.peek() == "-" and self.peek(1) not in (None, "]"):
                self.pos += 1
                last = self.class_item()
                if not (isinstance(item, int) and isinstance(last, int) and item <= last):
                    raise self.error("bad character range")
                item = (item, last)
            items.append(item)
        unique = tuple(dict.fromkeys(items))
        if len(unique) == 1 and isinstance(point := unique[0], int):  # `[x]` is `x`
            if negated:
                return _Atom(Chars(((point, point),), True), "plain", unique)
            return _Atom(Lit(chr(point)), "char", unique)
        return _Atom(Chars(_class_ranges(unique), negated), "plain" if negated else "class", unique)

    def class_item(self) -> ClassItem:
        c = self.take()
        return self.escape() if c == "\\" else ord(c)

    def escape(self) -> int | str:
        """After a backslash: one code point, or the letter of ``\\d \\w \\s``."""
        if self.peek() is None:
            raise self.error("a backslash at the end of the pattern")
        c = self.take()
        if c in CATEGORIES:
            return c
        if c in _NAMED:
            return _NAMED[c]
        if c in _HEX_DIGITS:
            digits = self.text[self.pos : self.pos + _HEX_DIGITS[c]]
            if len(digits) != _HEX_DIGITS[c] or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.error(f"\\{c} needs {_HEX_DIGITS[c]} hexadecimal digits")
            self.pos += len(digits)
            if int(digits, 16) > 0x10FFFF:
                raise self.error(f"\\{c}{digits} is not a code point")
            return int(digits, 16)
        if c in "0123456789":
            raise self.unsupported(f"\\{c} (a backreference or an octal escape)")
        if c in "DWS":
            raise self.unsupported(f"\\{c} (a complemented class)")
        if c in "bBAZ":
            raise self.unsupported(f"\\{c} (an anchor)")
        if c.isascii() and c.isalpha():
            raise self.error(f"bad escape \\{c}")
        return ord(c)


def _class_ranges(items: tuple[ClassItem, ...]) -> Ranges:
    """The code point ranges of a class's items."""
    ranges: list[tuple[int, int]] = []
    for item in items:
        if isinstance(item, int):
            ranges.append((item, item))
        elif isinstance(item, tuple):
            ranges.append(item)
        else:
            ranges += CATEGORIES[item]
    return merged_ranges(ranges)


# ---------------------------------------------------------------- writing regexes


def to_regex(node: Node, rules: dict[str, Node] | None = None, level: int = 0) -> str:
    """The node as a regex valid for both Python's ``re`` and Rust's ``regex`` (terminal references inlined)."""
    if isinstance(node, Lit):
        text = "".join(_regex_char(ord(c)) for c in node.text)
        return text if level < 2 or len(node.text) == 1 else f"(?:{text})"
    if isinstance(node, Chars):
        body = "".join(
            _regex_char(lo, True) + ("" if lo == hi else "-" + _regex_char(hi, True)) for lo, hi in node.ranges
        )
        return f"[{'^' if node.negated else ''}{body}]"
    if isinstance(node, Seq):
        text = "".join(to_regex(item, rules, 1) for item in node.items)
        return text if level < 2 else f"(?:{text})"
    if isinstance(node, Alt):
        text = "|".join(to_regex(item, rules, 0) for item in node.items)
        return text if level == 0 else f"(?:{text})"
    if isinstance(node, Repeat):
        return to_regex(node.item, rules, 2) + suffix(node)
    if rules is None or node.name not in rules:
        raise GrammarError(f"regex: unknown terminal {node.name}")
    return to_regex(rules[node.name], rules, level)


def _regex_char(cp: int, in_class: bool = False) -> str:
    if chr(cp).isascii() and (chr(cp).isalnum() or cp == 95 or (not in_class and chr(cp) in " \"',:;=@!%<>#-")):
        return chr(cp)
    return f"\\x{cp:02X}" if cp < 0x100 else f"\\u{cp:04X}" if cp < 0x10000 else f"\\U{cp:08X}"
