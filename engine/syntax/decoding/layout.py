"""Laying out the plan grammar for a decoder: lines, blocks, leading comments and the spaces between tokens.

The indenter's tokens become text: ``_NL`` is ``"\\n"``; a block
``_INDENT line+ _DEDENT`` becomes lines each prefixed by exactly 4 spaces; the
optional ``_NL`` that opens a start rule becomes whole-line ``#`` comments (up
to ``comment_lines``); top-level lines of a start rule may be preceded by up to
``blank_lines`` blank lines.  Tokens on a line are separated by one space,
mandatory where a token that may end in a word character meets one that may
start with one (FIRST/LAST character classes over nullable symbols), optional
elsewhere; never at the start or end of a line.  ``%ignore`` does not carry over.
"""

from __future__ import annotations

from lark import Lark

from ..format import INDENT
from .nodes import (
    EMPTY,
    ROOT,
    WORD,
    Alt,
    Chars,
    GrammarError,
    Lit,
    Node,
    Ref,
    Repeat,
    Rules,
    Seq,
    alt,
    choices,
    parts,
    refs,
    seq,
)
from .read import decoded_terminals, grammar_rules, grammar_terminals

_W, _P, _NL, _SP = "word", "punct", "newline", "space"
_Edges = tuple[frozenset, frozenset, bool]  # classes of the first and last character, nullable


def _char_class(cp: int) -> str:
    if any(lo <= cp <= hi for lo, hi in WORD):
        return _W
    return _NL if cp == 10 else _SP if cp in (9, 32) else _P


_SPECIAL = {cp for lo, hi in WORD for cp in range(lo, hi + 1)} | {9, 10, 32}


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


class Layout:
    """Turns the parser's rules, reachable from some start rules, into line-and-space-explicit decoding rules."""

    def __init__(self, parser: Lark, starts: tuple[str, ...], blank_lines: int, comment_lines: int) -> None:
        postlex = parser.options.postlex
        self.newline, self.indent, self.dedent = postlex.NL_type, postlex.INDENT_type, postlex.DEDENT_type
        self.source = grammar_rules(parser)
        raw_terms = grammar_terminals(parser)
        self.comment_terms = _comment_terminals(raw_terms, self.newline)
        self.terminals = decoded_terminals(parser, raw_terms)
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
                todo += [r for r in refs(self.source[name]) if r in self.source]
        laid = {self.names[n]: self._lay_out(self.source[n], n in self.starts) for n in reachable}
        self.rule_edges = {n: (frozenset(), frozenset(), False) for n in laid}
        while True:
            edges = {n: self._edges(body) for n, body in laid.items()}
            if edges == self.rule_edges:
                break
            self.rule_edges = edges
        tops = {self.names[s] for s in self.starts}
        rules: dict[str, Node] = {ROOT: alt([Ref(self.names[s]) for s in self.starts])}
        rules.update({n: self._spaced(body, n in tops) for n, body in laid.items()})
        for name in tops:  # the parser refuses a blank answer (and an empty one helps nobody)
            rules[name] = _without_empty(rules[name])
            if self._edges(rules[name])[2]:
                raise GrammarError(f"start rule {name} only matches the empty string here")
        used = set().union(*(refs(body) for body in rules.values())) & self.terminals.keys()
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
                    line = seq((alt([Ref(t) for t in self.comment_terms]), Lit("\n")))
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
            return seq(out)
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
        indented = seq((Lit(INDENT), Ref(self.names[line.name])))
        return Repeat(indented, item.min, item.max) if isinstance(item, Repeat) else indented

    def _is_line_rule(self, name: str) -> bool:
        body = self.source.get(name)
        alternatives = body.items if isinstance(body, Alt) else (body,)
        return body is not None and all(
            isinstance(a, Seq) and a.items[-1] == Ref(self.newline) and not self._has_newline(Seq(a.items[:-1]), set())
            for a in alternatives
        )

    def _has_newline(self, node: Node, seen: set[str]) -> bool:
        for name in refs(node):
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
        sides = [self._edges(i) for i in node.items]
        if isinstance(node, Alt):
            return (frozenset().union(*(p[0] for p in sides)), frozenset().union(*(p[1] for p in sides)),
                    any(p[2] for p in sides))  # fmt: skip
        first, last = frozenset(), frozenset()
        for f, _l, nullable in sides:
            first |= f
            if not nullable:
                break
        for _f, lst, nullable in reversed(sides):
            last |= lst
            if not nullable:
                break
        return first, last, all(p[2] for p in sides)

    # --- spaces between tokens
    def _spaced(self, node: Node, top: bool = False) -> Node:
        if isinstance(node, Alt):
            return Alt(tuple(self._spaced(a, top) for a in node.items))
        if isinstance(node, (Seq, Repeat)):
            return self._spaced_seq(parts(node), None, top)
        return node

    def _spaced_seq(self, items: tuple[Node, ...], left: frozenset | None, top: bool) -> Node:
        """``items`` with separators; ``left``: classes that may end what precedes (None: nothing does)."""
        if not items:
            return EMPTY
        head, rest = items[0], items[1:]
        first, last, nullable = self._edges(head)
        if left is None and nullable:  # an optional opening item: one alternative with it, one without
            return alt(
                [self._spaced_seq((self._non_empty(head),) + rest, None, top), self._spaced_seq(rest, None, top)]
            )
        if isinstance(head, Repeat):
            body = self._spaced(head.item, top)
            if left is None:  # the first repetition opens the sequence (head.min >= 1 here)
                high = None if head.max is None else head.max - 1
                placed = seq((body, Repeat(seq((self._sep(last, first, top), body)), head.min - 1, high)))
            else:
                before = left | last if head.max != 1 else left
                placed = Repeat(seq((self._sep(before, first, top), body)), head.min, head.max)
        elif left is None:
            placed = self._spaced(head, top)
        elif nullable:
            placed = Repeat(seq((self._sep(left, first, top), self._spaced(head, top))), 0, 1)
        else:
            placed = seq((self._sep(left, first, top), self._spaced(head, top)))
        after = (left or frozenset()) | last if nullable else last
        return seq((placed, self._spaced_seq(rest, after, top)))

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
            return alt(kept)
        raise GrammarError(f"cannot place separators around the optional opening item {node}")


def _without_empty(node: Node) -> Node:
    if isinstance(node, Alt):
        return alt([_without_empty(i) for i in node.items if i != EMPTY])
    return node


def _comment_terminals(terminals: dict[str, Node], newline: str) -> list[str]:
    """The terminals that ``_NL`` is made of besides line breaks: the comments (Lark inlines them; match by body)."""
    body = terminals.get(newline, EMPTY)
    pieces = parts(body.item) if isinstance(body, Repeat) else parts(body)
    pieces = choices(pieces[0]) if len(pieces) == 1 else ()
    comments = [p for p in pieces if not _may_hold_newline(p)]
    named = [n for n, b in terminals.items() if b in comments and n != newline]
    if len(named) != len(comments):
        raise GrammarError(f"the comment forms of {newline} must be named terminals too (`COMMENT: /#.../`)")
    return sorted(named)


def _may_hold_newline(node: Node) -> bool:
    if isinstance(node, Lit):
        return "\n" in node.text
    if isinstance(node, Chars):
        return node.negated != any(lo <= 10 <= hi for lo, hi in node.ranges)
    if isinstance(node, Repeat):
        return _may_hold_newline(node.item)
    return isinstance(node, Ref) or any(_may_hold_newline(i) for i in node.items)


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
        for item in parts(node) if isinstance(node, Seq) else ():
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
