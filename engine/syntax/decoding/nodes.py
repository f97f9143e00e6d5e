"""The intermediate form every decoding grammar goes through, and the small operations on it.

A grammar is read into these nodes (:mod:`.read`, :mod:`.regex`), laid out
(:mod:`.layout`) and printed (:mod:`.bnf`, :mod:`.lark`).  Nodes are frozen
dataclasses: equal nodes compare equal and hash alike, which the layout and
the printers rely on (a repeated group is hoisted into one rule, however many
times it occurs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


class GrammarError(ValueError):
    """The plan grammar uses something the decoding grammars cannot express (the message says what)."""


@dataclass(frozen=True)
class Lit:
    """A literal string."""

    text: str


@dataclass(frozen=True)
class Chars:
    """One character out of ``ranges`` (inclusive code point pairs), or out of their complement when ``negated``."""

    ranges: tuple[tuple[int, int], ...]
    negated: bool = False


@dataclass(frozen=True)
class Seq:
    """The items one after another (``Seq(())`` is the empty string)."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    """One of the items."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Repeat:
    """``item`` between ``min`` and ``max`` times (``max=None``: unbounded)."""

    item: Node
    min: int
    max: int | None


@dataclass(frozen=True)
class Ref:
    """A rule or terminal by name."""

    name: str


Node = Lit | Chars | Seq | Alt | Repeat | Ref
EMPTY = Seq(())
ROOT = "root"


@dataclass(frozen=True)
class Rules:
    """A decoding grammar before printing: rule bodies by name (terminals among them) and the entry rule."""

    rules: dict[str, Node]
    terminals: frozenset[str]
    root: str = ROOT


WORD = ((48, 57), (65, 90), (95, 95), (97, 122))  # [0-9A-Z_a-z]: what `\w` means here (ASCII only)


# ---------------------------------------------------------------- building nodes


def seq(items: Iterable[Node]) -> Node:
    """A sequence, flattened (nested sequences spliced in, repeats of at most zero times dropped)."""
    flat: list[Node] = []
    for item in items:
        if isinstance(item, Seq):
            flat.extend(item.items)
        elif not (isinstance(item, Repeat) and item.max == 0):
            flat.append(item)
    return flat[0] if len(flat) == 1 else Seq(tuple(flat))


def lexeme_seq(items: Iterable[Node]) -> Node:
    """A sequence inside one token: adjacent literals merge."""
    merged: list[Node] = []
    for item in parts(seq(items)):
        if merged and isinstance(item, Lit) and isinstance(merged[-1], Lit):
            merged[-1] = Lit(merged[-1].text + item.text)
        else:
            merged.append(item)
    return seq(merged)


def alt(items: list[Node]) -> Node:
    """One of the items (the item itself when there is one)."""
    return items[0] if len(items) == 1 else Alt(tuple(items))


def parts(node: Node) -> tuple[Node, ...]:
    """The items of a sequence, or the node alone."""
    return node.items if isinstance(node, Seq) else (node,)


def choices(node: Node) -> tuple[Node, ...]:
    """The items of an alternative, or the node alone."""
    return node.items if isinstance(node, Alt) else (node,)


def mapped(node: Node, f: Callable[[Node], Node]) -> Node:
    """``f`` applied bottom-up to every node of the tree."""
    if isinstance(node, (Seq, Alt)):
        return f(type(node)(tuple(mapped(i, f) for i in node.items)))
    if isinstance(node, Repeat):
        return f(Repeat(mapped(node.item, f), node.min, node.max))
    return f(node)


def refs(node: Node) -> set[str]:
    """The names the node refers to."""
    if isinstance(node, Ref):
        return {node.name}
    if isinstance(node, (Seq, Alt)):
        return set().union(*(refs(i) for i in node.items))
    if isinstance(node, Repeat):
        return refs(node.item)
    return set()


# ---------------------------------------------------------------- character ranges


def merged_ranges(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Code point ranges sorted, with overlapping and adjacent ones joined."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return tuple(out)


def minus(chars: Chars, removed: set[int]) -> Chars | None:
    """A positive class without some code points (None when nothing is left)."""
    out = []
    for lo, hi in chars.ranges:
        for cut in sorted(c for c in removed if lo <= c <= hi):
            if lo < cut:
                out.append((lo, cut - 1))
            lo = cut + 1
        if lo <= hi:
            out.append((lo, hi))
    return Chars(tuple(out)) if out else None


def suffix(node: Repeat) -> str:
    """The quantifier of a repeat, spelled alike in regexes, GBNF, EBNF and Lark."""
    low, high = node.min, node.max
    if (low, high) in ((0, 1), (0, None), (1, None)):
        return {1: "?", None: "*"}[high] if low == 0 else "+"
    if high is None:
        return f"{{{low},}}"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"
