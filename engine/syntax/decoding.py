"""Decoder forms of the plan grammar (GBNF, llguidance Lark, xgrammar EBNF), generated from grammar/plan.lark.

A constrained decoder may only write what these grammars allow, and
everything they allow parses: each form is a *sublanguage* of what
:func:`~planact.syntax.parser.parse` (or ``parse_patch``, ``parse_reply``)
accepts.  Nothing is copied by hand from ``plan.lark``; the generator reads
the cached LALR parser (``rule_defs``, ``term_defs``, the parse table) and goes
through a small intermediate form (:class:`Lit`, :class:`Chars`, :class:`Seq`,
:class:`Alt`, :class:`Repeat`, :class:`Ref`) in four steps:

1. *Read*: Lark's EBNF trees become nodes; regex terminals go through Python's
   own regex parser (``re._parser``) into literals, classes, groups, ``|`` and
   greedy repeats (anything else is a :class:`GrammarError` naming it).
2. *Terminals*: what the parser checks after lexing narrows a terminal
   (:data:`PARSER_CHECKED`: string escapes and ``{name}`` interpolation);
   unbounded repeats get a bound (:data:`MAX_REPEATS`: at most 64 characters
   in a NAME, 200 characters/escapes in a STRING or a comment, 24 digits in a
   number); keywords that Lark's contextual lexer would take for a keyword where
   a NAME is expected (``not``, ``true``, ``false``, ``visible``, found in the parse
   table) are cut out of that terminal; NUL (refused by the parser) is never written.
3. *Layout*: the indenter's tokens become text.  ``_NL`` is ``"\\n"``; a block
   ``_INDENT line+ _DEDENT`` becomes lines each prefixed by exactly 4 spaces;
   the optional ``_NL`` that opens a start rule becomes up to 20 whole-line ``#``
   comments (where a model puts its reasoning; comments go nowhere else);
   top-level lines of a start rule may be preceded by up to 2 blank lines
   (none in replies: a small model fills them with repeated actions).
4. *Spacing*: tokens on a line are separated by one space, mandatory where a
   token that may end in a word character meets one that may start with one
   (FIRST/LAST sets over nullable symbols), optional elsewhere; never at the
   start or end of a line.  ``%ignore`` does not carry over.

Three printers write the result: GBNF for llama.cpp and EBNF for xgrammar
(both ``root ::= ...``; a repeated group holding a counted repeat becomes a
rule of its own, as llama.cpp limits how far it expands them) and Lark for
llguidance (terminals as regexes; literals stay separate tokens because its
lexer is greedy).  The empty answer is never allowed (the parser refuses it).
Not expressed: the parser's nesting limit (``MAX_TREE_DEPTH`` = 100 levels of
brackets, ``not`` or ``within``) and its 16 MiB size limit.
"""

from __future__ import annotations

import re
from ast import literal_eval
from dataclasses import dataclass
from functools import cache, lru_cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from lark import Lark
from lark.grammar import NonTerminal, Terminal
from lark.lexer import PatternRE, PatternStr

from .format import INDENT
from .parser import lark_parser


@dataclass(frozen=True)
class DecodingGrammar:
    """One start symbol of the plan grammar in each constrained-decoding dialect."""

    name: str  # "plan", "revision", "reply"
    gbnf: str  # llama.cpp
    lark: str  # llguidance (vLLM's guidance backend)
    ebnf: str  # xgrammar (vLLM's default structured-output backend)


class GrammarError(ValueError):
    """The plan grammar uses something the decoding grammars cannot express (the message says what)."""


# ---------------------------------------------------------------- intermediate form


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


#: Terminals whose text the parser checks further after lexing; the decoder writes this narrower pattern
#: (a sublanguage of the grammar's): a STRING has only the escapes ``\\" \\\\ \\n \\t \\{ \\}`` and its
#: braces are escaped or enclose a ``{name}`` / ``{name.field}`` reference (see ``parser._string``).
PARSER_CHECKED = {
    "STRING": r'"([^"\\\n{]|\\["\\nt{}]|\{[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\})*"',
}
#: The most times each unbounded repeat inside these terminals may repeat (small models ramble).
MAX_REPEATS = {"NAME": 63, "STRING": 200, "COMMENT": 200, "NUMBER": 24, "INT": 24}
MAX_COMMENT_LINES = 20
REASONING_LINES = 3  # leading comment lines in a replanning answer: room to think, not to ramble
MAX_BLANK_LINES = 2

_WORD = ((48, 57), (65, 90), (95, 95), (97, 122))  # [0-9A-Z_a-z]
_CATEGORIES = {  # ASCII classes: a subset of Python's Unicode ones, so still a sublanguage
    sre.CATEGORY_DIGIT: ((48, 57),),
    sre.CATEGORY_WORD: _WORD,
    sre.CATEGORY_SPACE: ((9, 13), (32, 32)),
}


def _seq(items) -> Node:
    flat: list[Node] = []
    for item in items:
        if isinstance(item, Seq):
            flat.extend(item.items)
        elif not (isinstance(item, Repeat) and item.max == 0):
            flat.append(item)
    return flat[0] if len(flat) == 1 else Seq(tuple(flat))


def _lexeme_seq(items) -> Node:
    """A sequence inside one token: adjacent literals merge."""
    merged: list[Node] = []
    for item in _items(_seq(items)):
        if merged and isinstance(item, Lit) and isinstance(merged[-1], Lit):
            merged[-1] = Lit(merged[-1].text + item.text)
        else:
            merged.append(item)
    return _seq(merged)


def _items(node: Node) -> tuple[Node, ...]:
    return node.items if isinstance(node, Seq) else (node,)


def _alt(items) -> Node:
    return items[0] if len(items) == 1 else Alt(tuple(items))


# ---------------------------------------------------------------- regexes


def regex_node(pattern: str, where: str = "regex") -> Node:
    """A Python regular expression as a node: literals, classes, groups, ``|`` and greedy repeats only."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as err:
        raise GrammarError(f"{where}: bad regex {pattern!r}: {err}") from None
    if parsed.state.flags & ~sre.SRE_FLAG_UNICODE:
        raise GrammarError(f"{where}: regex flags are not supported in decoding grammars ({pattern!r})")
    return _sre_seq(parsed, where)


def _sre_seq(items, where: str) -> Node:
    return _lexeme_seq([_sre_item(op, av, where) for op, av in items])


def _sre_item(op, av, where: str) -> Node:
    if op == sre.LITERAL:
        return Lit(chr(av))
    if op == sre.NOT_LITERAL:
        return Chars(((av, av),), negated=True)
    if op == sre.ANY:
        return Chars(((10, 10),), negated=True)
    if op == sre.IN:
        return _sre_class(av, where)
    if op == sre.BRANCH:
        return Alt(tuple(_sre_seq(branch, where) for branch in av[1]))
    if op == sre.SUBPATTERN and not (av[1] or av[2]):
        return _sre_seq(av[3], where)
    if op == sre.MAX_REPEAT:
        low, high, body = av
        return Repeat(_sre_seq(body, where), low, None if high == sre.MAXREPEAT else high)
    if op == sre.CATEGORY and av in _CATEGORIES:
        return Chars(_CATEGORIES[av])
    raise GrammarError(
        f"{where}: the regex construct {op} {av!r} has no counterpart in the decoding grammars; "
        "write the terminal with literals, classes, groups, | and greedy repeats"
    )


def _sre_class(items, where: str) -> Chars:
    negated, ranges = False, []
    for op, av in items:
        if op == sre.NEGATE:
            negated = True
        elif op == sre.LITERAL:
            ranges.append((av, av))
        elif op == sre.RANGE:
            ranges.append(av)
        elif op == sre.CATEGORY and av in _CATEGORIES:
            ranges.extend(_CATEGORIES[av])
        else:
            raise GrammarError(f"{where}: the class item {op} {av!r} is not supported in decoding grammars")
    return Chars(_merged(ranges), negated)


def _merged(ranges) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return tuple(out)


def _minus(chars: Chars, removed: set[int]) -> Chars | None:
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
        return to_regex(node.item, rules, 2) + _suffix(node)
    if rules is None or node.name not in rules:
        raise GrammarError(f"regex: unknown terminal {node.name}")
    return to_regex(rules[node.name], rules, level)


def _regex_char(cp: int, in_class: bool = False) -> str:
    if chr(cp).isascii() and (chr(cp).isalnum() or cp == 95 or (not in_class and chr(cp) in " \"',:;=@!%<>#-")):
        return chr(cp)
    return f"\\x{cp:02X}" if cp < 0x100 else f"\\u{cp:04X}" if cp < 0x10000 else f"\\U{cp:08X}"


def _suffix(node: Repeat) -> str:
    low, high = node.min, node.max
    if (low, high) in ((0, 1), (0, None), (1, None)):
        return {1: "?", None: "*"}[high] if low == 0 else "+"
    if high is None:
        return f"{{{low},}}"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"


# ---------------------------------------------------------------- reading the Lark grammar


def _lark_node(tree, where: str) -> Node:
    if isinstance(tree, (Terminal, NonTerminal)):
        return Ref(tree.name)
    data, kids = str(tree.data), tree.children
    if data == "expansions":
        return _alt([_lark_node(k, where) for k in kids])
    if data in ("alias", "value"):
        return _lark_node(kids[0], where)
    if data == "expansion":
        return _seq(_lark_node(k, where) for k in kids)
    if data == "maybe":
        return Repeat(_lark_node(kids[0], where), 0, 1)
    if data == "expr":
        item, op, *bounds = kids
        low, high = {"?": (0, 1), "*": (0, None), "+": (1, None)}.get(op, (None, None))
        if op == "~":
            low, high = int(bounds[0]), int(bounds[-1])
        if low is None:
            raise GrammarError(f"{where}: unknown operator {op!r}")
        return Repeat(_lark_node(item, where), low, high)
    if data == "literal":
        return _literal(kids[0], where)
    if data == "range":
        lo, hi = (literal_eval(k.value) for k in kids)
        return Chars(((ord(lo), ord(hi)),))
    raise GrammarError(f"{where}: the grammar construct {data!r} is not supported in decoding grammars")


def _literal(token, where: str) -> Node:
    value = token.value
    if token.type == "STRING":
        if not value.endswith('"'):
            raise GrammarError(f"{where}: case-insensitive literal {value} is not supported")
        return Lit(literal_eval(value))
    end = value.rindex("/")
    if value[end + 1 :]:
        raise GrammarError(f"{where}: regex flags {value[end + 1 :]!r} are not supported")
    return regex_node(value[1:end].replace("\\/", "/"), where)


def _keyword_clashes(parser: Lark) -> dict[str, set[str]]:
    """For each regex terminal, the keywords Lark's contextual lexer lexes as keywords where it is expected.

    A keyword that a regex terminal also matches (``not`` is a NAME too) is
    lexed as the keyword in every parser state that accepts both, so there the
    terminal can never have that text.  The parse table says which states
    accept what; without it (another Lark layout) every pair counts.
    """
    terminals = {t.name: t for t in parser.terminals}
    keywords = {n: t.pattern.value for n, t in terminals.items() if isinstance(t.pattern, PatternStr)}
    patterns = {n: re.compile(t.pattern.to_regexp()) for n, t in terminals.items() if isinstance(t.pattern, PatternRE)}
    try:
        states = [set(actions) for actions in parser.parser.parser.parser.parse_table.states.values()]
    except AttributeError:
        states = [set(terminals)]
    clashes: dict[str, set[str]] = {}
    for accepted in states:
        for name in accepted & patterns.keys():
            for keyword in accepted & keywords.keys():
                if patterns[name].fullmatch(keywords[keyword]):
                    clashes.setdefault(name, set()).add(keywords[keyword])
    return clashes


def _decode_terminal(name: str, node: Node, keywords: set[str]) -> Node:
    if name in PARSER_CHECKED:
        node = regex_node(PARSER_CHECKED[name], name)
    if name in MAX_REPEATS:
        node = _bounded(node, MAX_REPEATS[name])
    if keywords:
        node = _excluding(node, keywords, name)
    return _without_nul(node)


def _map(node: Node, f) -> Node:
    if isinstance(node, (Seq, Alt)):
        return f(type(node)(tuple(_map(i, f) for i in node.items)))
    if isinstance(node, Repeat):
        return f(Repeat(_map(node.item, f), node.min, node.max))
    return f(node)


def _bounded(node: Node, limit: int) -> Node:
    return _map(
        node, lambda n: Repeat(n.item, n.min, max(limit, n.min)) if isinstance(n, Repeat) and n.max is None else n
    )


def _without_nul(node: Node) -> Node:
    def strip(n: Node) -> Node:
        if not isinstance(n, Chars):
            return n
        if n.negated:
            return Chars(_merged(n.ranges + ((0, 0),)), True)
        kept = _minus(n, {0})
        if kept is None:
            raise GrammarError("a character class that only holds NUL cannot be written (the parser refuses NUL)")
        return kept

    return _map(node, strip)


def _excluding(node: Node, words: set[str], where: str) -> Node:
    """An identifier-shaped terminal (``[head][tail]{0,n}``) that never matches one of ``words``."""
    head, rest = (_items(node) + (None, None))[:2]
    if not (isinstance(head, Chars) and isinstance(rest, Repeat) and isinstance(rest.item, Chars) and rest.min == 0):
        raise GrammarError(f"{where}: keywords {sorted(words)} can only be cut out of a `[...][...]*` terminal")
    tail, limit = rest.item, rest.max

    def after(prefix: str) -> Node:  # what may follow `prefix`, a prefix of some keyword
        depth = len(prefix)
        if limit is not None and depth > limit:
            return EMPTY
        nexts = {w[depth] for w in words if len(w) > depth and w.startswith(prefix)}
        branches: list[Node] = []
        other = _minus(tail if depth else head, {ord(c) for c in nexts})
        if other is not None:
            free = None if limit is None else limit - depth
            branches.append(_seq((other, Repeat(tail, 0, free))))
        branches += [_seq((Lit(c), after(prefix + c))) for c in sorted(nexts)]
        if depth and prefix not in words:
            branches.append(EMPTY)
        return _alt(branches)

    return after("")


# ---------------------------------------------------------------- layout and spacing

_W, _P, _NL, _SP = "word", "punct", "newline", "space"
_Edges = tuple[frozenset, frozenset, bool]  # classes of the first and last character, nullable


def _char_class(cp: int) -> str:
    if any(lo <= cp <= hi for lo, hi in _WORD):
        return _W
    return _NL if cp == 10 else _SP if cp in (9, 32) else _P


_SPECIAL = {cp for lo, hi in _WORD for cp in range(lo, hi + 1)} | {9, 10, 32}


def _chars_classes(chars: Chars) -> frozenset:
    inside = {_char_class(cp) for cp in _SPECIAL if any(lo <= cp <= hi for lo, hi in chars.ranges)}
    if any(hi - lo + 1 > sum(lo <= cp <= hi for cp in _SPECIAL) for lo, hi in chars.ranges):
        inside.add(_P)
    if not chars.negated:
        return frozenset(inside)
    fully_excluded = {
        cls
        for cls in (_W, _NL, _SP)
        if all(any(lo <= cp <= hi for lo, hi in chars.ranges) for cp in _SPECIAL if _char_class(cp) == cls)
    }
    return frozenset({_W, _P, _NL, _SP} - fully_excluded)


class _Layout:
    """Turns the parser's rules, reachable from some start rules, into line-and-space-explicit decoding rules."""

    def __init__(self, parser: Lark, starts: tuple[str, ...], blank_lines: int, comment_lines: int) -> None:
        grammar, postlex = parser.grammar, parser.options.postlex
        self.newline, self.indent, self.dedent = postlex.NL_type, postlex.INDENT_type, postlex.DEDENT_type
        self.source = {}
        for name, params, tree, _options in grammar.rule_defs:
            if params:
                raise GrammarError(f"{name}: template rules are not supported in decoding grammars")
            self.source[str(name)] = _lark_node(tree, str(name))
        raw_terms = {str(n): _lark_node(tree, str(n)) for n, (tree, _prio) in grammar.term_defs if tree is not None}
        self.comment_terms = _comment_terminals(raw_terms, self.newline)
        clashes = _keyword_clashes(parser)
        self.terminals = {n: _decode_terminal(n, body, clashes.get(n, set())) for n, body in raw_terms.items()}
        for s in starts:
            if s not in self.source:
                raise GrammarError(f"unknown start rule {s!r}; the grammar has {sorted(self.source)}")
        self.starts, self.blank_lines, self.comment_lines = starts, blank_lines, comment_lines
        self.names = {n: f"{n}_rule" if n in (ROOT, "start") else n for n in self.source}
        self.term_edges = {n: self._edges(body) for n, body in self.terminals.items()}
        self.rule_edges: dict[str, _Edges] = {}

    def rules(self) -> Rules:
        reachable, todo = [], list(self.starts)
        while todo:
            name = todo.pop(0)
            if name not in reachable:
                reachable.append(name)
                todo += [r for r in _refs(self.source[name]) if r in self.source]
        laid = {self.names[n]: self._lay_out(self.source[n], n in self.starts) for n in reachable}
        self.rule_edges = {n: (frozenset(), frozenset(), False) for n in laid}
        while True:
            edges = {n: self._edges(body) for n, body in laid.items()}
            if edges == self.rule_edges:
                break
            self.rule_edges = edges
        tops = {self.names[s] for s in self.starts}
        rules: dict[str, Node] = {ROOT: _alt([Ref(self.names[s]) for s in self.starts])}
        rules.update({n: self._spaced(body, n in tops) for n, body in laid.items()})
        for name in tops:  # the parser refuses a blank answer (and an empty one helps nobody)
            rules[name] = _without_empty(rules[name])
            if self._edges(rules[name])[2]:
                raise GrammarError(f"start rule {name} only matches the empty string here")
        used = set().union(*(_refs(body) for body in rules.values())) & self.terminals.keys()
        rules.update({name: self.terminals[name] for name in sorted(used)})  # Lark inlines terminals in terminals
        _check_no_left_recursion(rules, self._edges)
        return Rules(rules=rules, terminals=frozenset(used))

    # --- layout: newlines, blocks, leading comments
    def _lay_out(self, node: Node, start: bool = False) -> Node:
        if isinstance(node, Alt):
            return Alt(tuple(self._lay_out(a, start) for a in node.items))
        if isinstance(node, Repeat):
            if start:
                return self._lay_out(Seq((node,)), start)
            return Repeat(self._lay_out(node.item), node.min, node.max)
        if isinstance(node, Seq):
            items, out = list(node.items), []
            if start and items and items[0] == Repeat(Ref(self.newline), 0, 1):
                items.pop(0)
                if self.comment_terms and self.comment_lines:
                    line = _seq((_alt([Ref(t) for t in self.comment_terms]), Lit("\n")))
                    out.append(Repeat(line, 0, self.comment_lines))
            while items:
                item = items.pop(0)
                if item == Ref(self.indent):
                    if Ref(self.dedent) not in items:
                        raise GrammarError(f"an {self.indent} without its {self.dedent}")
                    end = items.index(Ref(self.dedent))
                    out += [self._indented(x) for x in items[:end]]
                    items = items[end + 1 :]
                else:
                    out.append(self._lay_out(item))
            return _seq(out)
        if isinstance(node, Ref):
            if node.name == self.newline:
                return Lit("\n")
            if node.name in (self.indent, self.dedent):
                raise GrammarError(f"{node.name} outside a block `{self.newline} {self.indent} line+ {self.dedent}`")
            return Ref(self.names.get(node.name, node.name))
        return node

    def _indented(self, item: Node) -> Node:
        line = item.item if isinstance(item, Repeat) else item
        if not (isinstance(line, Ref) and self._is_line_rule(line.name)):
            raise GrammarError(f"a block may only hold rules that are one line each, not {line}")
        indented = _seq((Lit(INDENT), Ref(self.names[line.name])))
        return Repeat(indented, item.min, item.max) if isinstance(item, Repeat) else indented

    def _is_line_rule(self, name: str) -> bool:
        body = self.source.get(name)
        alternatives = body.items if isinstance(body, Alt) else (body,)
        return body is not None and all(
            isinstance(a, Seq) and a.items[-1] == Ref(self.newline) and not self._has_newline(Seq(a.items[:-1]), set())
            for a in alternatives
        )

    def _has_newline(self, node: Node, seen: set[str]) -> bool:
        for name in _refs(node):
            if name in (self.newline, self.indent):
                return True
            if name in self.source and name not in seen:
                seen.add(name)
                if self._has_newline(self.source[name], seen):
                    return True
        return False

    # --- FIRST/LAST character classes
    def _edges(self, node: Node) -> _Edges:
        if isinstance(node, Lit):
            if not node.text:
                return frozenset(), frozenset(), True
            return frozenset({_char_class(ord(node.text[0]))}), frozenset({_char_class(ord(node.text[-1]))}), False
        if isinstance(node, Chars):
            classes = _chars_classes(node)
            return classes, classes, False
        if isinstance(node, Ref):
            return self.rule_edges.get(node.name) or self.term_edges[node.name]
        if isinstance(node, Repeat):
            first, last, nullable = self._edges(node.item)
            return first, last, nullable or node.min == 0
        parts = [self._edges(i) for i in node.items]
        if isinstance(node, Alt):
            return (frozenset().union(*(p[0] for p in parts)), frozenset().union(*(p[1] for p in parts)),
                    any(p[2] for p in parts))  # fmt: skip
        first, last = frozenset(), frozenset()
        for f, _l, nullable in parts:
            first |= f
            if not nullable:
                break
        for _f, lst, nullable in reversed(parts):
            last |= lst
            if not nullable:
                break
        return first, last, all(p[2] for p in parts)

    # --- spaces between tokens
    def _spaced(self, node: Node, top: bool = False) -> Node:
        if isinstance(node, Alt):
            return Alt(tuple(self._spaced(a, top) for a in node.items))
        if isinstance(node, (Seq, Repeat)):
            return self._spaced_seq(_items(node), None, top)
        return node

    def _spaced_seq(self, items: tuple[Node, ...], left: frozenset | None, top: bool) -> Node:
        """``items`` with separators; ``left``: classes that may end what precedes (None: nothing does)."""
        if not items:
            return EMPTY
        head, rest = items[0], items[1:]
        first, last, nullable = self._edges(head)
        if left is None and nullable:  # an optional opening item: one alternative with it, one without
            return _alt(
                [self._spaced_seq((self._non_empty(head),) + rest, None, top), self._spaced_seq(rest, None, top)]
            )
        if isinstance(head, Repeat):
            body = self._spaced(head.item, top)
            if left is None:  # the first repetition opens the sequence (head.min >= 1 here)
                high = None if head.max is None else head.max - 1
                placed = _seq((body, Repeat(_seq((self._sep(last, first, top), body)), head.min - 1, high)))
            else:
                before = left | last if head.max != 1 else left
                placed = Repeat(_seq((self._sep(before, first, top), body)), head.min, head.max)
        elif left is None:
            placed = self._spaced(head, top)
        elif nullable:
            placed = Repeat(_seq((self._sep(left, first, top), self._spaced(head, top))), 0, 1)
        else:
            placed = _seq((self._sep(left, first, top), self._spaced(head, top)))
        after = (left or frozenset()) | last if nullable else last
        return _seq((placed, self._spaced_seq(rest, after, top)))

    def _sep(self, left: frozenset, first: frozenset, top: bool) -> Node:
        if left and left <= {_NL}:  # a new line: no space; blank lines between top-level lines
            return Repeat(Lit("\n"), 0, self.blank_lines) if top else EMPTY
        if _NL in left:
            raise GrammarError("a sequence may end a line or not: cannot place separators after it")
        if first <= {_NL, _SP} or left <= {_SP}:
            return EMPTY
        if _W in left and _W in first:
            if first & {_NL, _SP}:
                raise GrammarError("a word may be followed by a word or a line end: cannot place a separator")
            return Lit(" ")
        return Repeat(Lit(" "), 0, 1)

    def _non_empty(self, node: Node) -> Node:
        if isinstance(node, Repeat) and node.min == 0 and not self._edges(node.item)[2]:
            return Repeat(node.item, 1, node.max)
        if isinstance(node, Alt):
            kept = [self._non_empty(a) if self._edges(a)[2] else a for a in node.items if a != EMPTY]
            return _alt(kept)
        raise GrammarError(f"cannot place separators around the optional opening item {node}")


def _without_empty(node: Node) -> Node:
    if isinstance(node, Alt):
        return _alt([_without_empty(i) for i in node.items if i != EMPTY])
    return node


def _comment_terminals(terminals: dict[str, Node], newline: str) -> list[str]:
    """The terminals that ``_NL`` is made of besides line breaks: the comments (Lark inlines them; match by body)."""
    body = terminals.get(newline, EMPTY)
    parts = _items(body.item) if isinstance(body, Repeat) else _items(body)
    parts = _alt_items(parts[0]) if len(parts) == 1 else ()
    comments = [p for p in parts if not _may_hold_newline(p)]
    named = [n for n, b in terminals.items() if b in comments and n != newline]
    if len(named) != len(comments):
        raise GrammarError(f"the comment forms of {newline} must be named terminals too (`COMMENT: /#.../`)")
    return sorted(named)


def _alt_items(node: Node) -> tuple[Node, ...]:
    return node.items if isinstance(node, Alt) else (node,)


def _may_hold_newline(node: Node) -> bool:
    if isinstance(node, Lit):
        return "\n" in node.text
    if isinstance(node, Chars):
        return node.negated != any(lo <= 10 <= hi for lo, hi in node.ranges)
    if isinstance(node, Repeat):
        return _may_hold_newline(node.item)
    return isinstance(node, Ref) or any(_may_hold_newline(i) for i in node.items)


def _refs(node: Node) -> set[str]:
    if isinstance(node, Ref):
        return {node.name}
    if isinstance(node, (Seq, Alt)):
        return set().union(*(_refs(i) for i in node.items))
    if isinstance(node, Repeat):
        return _refs(node.item)
    return set()


def _check_no_left_recursion(rules: dict[str, Node], edges) -> None:
    """GBNF engines need it: no rule may reach itself before writing a character."""

    def leftmost(node: Node) -> set[str]:
        if isinstance(node, Ref):
            return {node.name}
        if isinstance(node, Alt):
            return set().union(*(leftmost(i) for i in node.items))
        if isinstance(node, Repeat):
            return leftmost(node.item)
        out: set[str] = set()
        for item in _items(node) if isinstance(node, Seq) else ():
            out |= leftmost(item)
            if not edges(item)[2]:
                break
        return out

    graph = {name: leftmost(body) & rules.keys() for name, body in rules.items()}
    for name in graph:
        seen, todo = set(), list(graph[name])
        while todo:
            n = todo.pop()
            if n == name:
                raise GrammarError(f"rule {name} is left-recursive; GBNF engines cannot run it")
            if n not in seen:
                seen.add(n)
                todo += graph[n]


# ---------------------------------------------------------------- printers

_HEADER = "planact {name} grammar for {engine}, generated from grammar/plan.lark by planact.syntax.decoding"


def _order(rules: Rules) -> list[str]:
    order, todo = [], [rules.root]
    while todo:
        name = todo.pop(0)
        if name not in order:
            order.append(name)
            todo += sorted(_refs(rules.rules[name]) - set(order), key=lambda n: (n in rules.terminals, n))
    return order


def _bnf(rules: Rules, comment: str) -> str:
    rules = _hoisted(rules)
    lines = [f"# {comment}"]
    lines += [f"{_bnf_name(n)} ::= {_expr(rules.rules[n], lark=False)}" for n in _order(rules)]
    return "\n".join(lines) + "\n"


def _hoisted(rules: Rules) -> Rules:
    """Repeated groups that hold a counted repeat become rules of their own.

    llama.cpp expands ``x{0,n}`` into n rules and refuses a repeat of a group
    whose expansion already made many rules (a product over 2000).
    """
    out, names = dict(rules.rules), {}

    def hoist(owner: str, node: Node) -> Node:
        if isinstance(node, (Seq, Alt)):
            return type(node)(tuple(hoist(owner, i) for i in node.items))
        if not isinstance(node, Repeat):
            return node
        item = hoist(owner, node.item)
        if isinstance(item, (Seq, Alt)) and _has_counted_repeat(item):
            if item not in names:
                names[item] = next(f"{owner}_{k}" for k in range(1, len(out) + 2) if f"{owner}_{k}" not in out)
                out[names[item]] = item
            item = Ref(names[item])
        return Repeat(item, node.min, node.max)

    for owner, body in rules.rules.items():
        out[owner] = hoist(owner, body)
    return Rules(rules=out, terminals=rules.terminals, root=rules.root)


def _has_counted_repeat(node: Node) -> bool:
    if isinstance(node, Repeat):
        return (node.max or 0) > 1 or _has_counted_repeat(node.item)
    return isinstance(node, (Seq, Alt)) and any(_has_counted_repeat(i) for i in node.items)


def _bnf_name(name: str) -> str:
    return name.strip("_").replace("_", "-")


def _expr(node: Node, lark: bool, level: int = 0) -> str:
    """A rule body in GBNF/EBNF, or in Lark when ``lark`` (literals kept apart, classes as regexes)."""
    if isinstance(node, Alt):
        text = " | ".join(_expr(i, lark, 1) for i in node.items)
        return text if level == 0 else f"({text})"
    if isinstance(node, Seq):
        # llguidance lexes greedily: a merged `" with "` would hide `" " "within"`, so Lark keeps tokens apart
        items = node.items if lark else _items(_lexeme_seq(node.items))
        text = " ".join(_expr(i, lark, 2) for i in items) or '""'
        return text if level < 2 or len(items) <= 1 else f"({text})"
    if isinstance(node, Repeat):
        return _expr(node.item, lark, 3) + _suffix(node)
    if isinstance(node, Lit):
        return '"' + "".join(_bnf_char(ord(c)) for c in node.text) + '"'
    if isinstance(node, Chars) and lark:
        return f"/{to_regex(node)}/"
    if isinstance(node, Chars):
        body = "".join(_bnf_char(lo, True) + ("" if lo == hi else "-" + _bnf_char(hi, True)) for lo, hi in node.ranges)
        return f"[{'^' if node.negated else ''}{body}]"
    return node.name if lark else _bnf_name(node.name)


def _bnf_char(cp: int, in_class: bool = False) -> str:
    c = chr(cp)
    if c.isascii() and (c.isalnum() or cp == 95 or (not in_class and c.isprintable() and c not in '"\\')):
        return c
    named = {10: "\\n", 9: "\\t", 13: "\\r", 34: '\\"', 92: "\\\\"}
    if cp in named and not in_class:
        return named[cp]
    return f"\\x{cp:02X}" if cp < 0x100 else f"\\u{cp:04X}" if cp < 0x10000 else f"\\U{cp:08X}"


def _lark(rules: Rules, comment: str) -> str:
    lines = [f"// {comment}"]
    for name in _order(rules):
        body = rules.rules[name]
        if name in rules.terminals:
            lines.append(f"{name}: /{to_regex(body, rules.rules)}/")
        else:
            lines.append(f"{'start' if name == rules.root else name}: {_expr(body, lark=True)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- entry points


@cache
def decoding_rules(
    starts: tuple[str, ...], blank_lines: int = MAX_BLANK_LINES, comment_lines: int = MAX_COMMENT_LINES
) -> Rules:
    """The intermediate form of the decoding grammar whose root is one of the ``starts`` rules of plan.lark.

    ``blank_lines``: how many empty lines may come before each top-level line of a start rule;
    ``comment_lines``: how many whole-line comments (a model's reasoning) may open the text.
    """
    return _Layout(lark_parser(), starts, blank_lines, comment_lines).rules()


@cache
def decoding_grammar(
    name: str, starts: tuple[str, ...], blank_lines: int = MAX_BLANK_LINES, comment_lines: int = MAX_COMMENT_LINES
) -> DecodingGrammar:
    """The decoding grammar, in the three dialects, for text that one of the ``starts`` rules accepts."""
    rules = decoding_rules(starts, blank_lines, comment_lines)
    return DecodingGrammar(
        name=name,
        gbnf=_bnf(rules, _HEADER.format(name=name, engine="llama.cpp (GBNF)")),
        lark=_lark(rules, _HEADER.format(name=name, engine="llguidance (Lark)")),
        ebnf=_bnf(rules, _HEADER.format(name=name, engine="xgrammar (EBNF)")),
    )


@lru_cache(maxsize=1)
def plan_grammar() -> DecodingGrammar:
    """A whole plan (start rule ``start``), as :func:`~planact.syntax.parser.parse` reads it; no leading comments.

    A small model given room for comments fills its token budget with them
    (SmolLM2-135M wrote Markdown headings as ``#`` lines until it ran out).
    """
    return decoding_grammar("plan", ("start",), comment_lines=0)


@lru_cache(maxsize=1)
def steps_grammar() -> DecodingGrammar:
    """A compact planner answer: step lines (start rule ``patch``, as :func:`~planact.syntax.parser.parse_patch`
    reads it); no leading comments, as for :func:`plan_grammar`."""
    return decoding_grammar("steps", ("patch",), comment_lines=0)


@lru_cache(maxsize=1)
def revision_grammar() -> DecodingGrammar:
    """A replanning answer: a whole plan or a ``patch`` (``parse`` or ``parse_patch``)."""
    return decoding_grammar("revision", ("start", "patch"), comment_lines=REASONING_LINES)


@lru_cache(maxsize=1)
def reply_grammar() -> DecodingGrammar:
    """An executor answer (start rule ``reply``): action lines, then optionally ``done``; no blank lines."""
    return decoding_grammar("reply", ("reply",), blank_lines=0, comment_lines=0)
