"""Reading the parser's grammar into nodes, and narrowing its terminals to what a decoder may write.

Lark's EBNF trees (``rule_defs``, ``term_defs`` of the cached parser) become
:mod:`.nodes`; a regex terminal goes through :func:`.regex.regex_node`.  A
terminal's nodes are then narrowed (:func:`decode_terminal`): to the pattern
the parser checks after lexing (:data:`PARSER_CHECKED`), to a bounded length
(:data:`MAX_REPEATS`), without the keywords that Lark's contextual lexer would
take for keywords where the terminal is expected (:func:`keyword_clashes`), and
without NUL (which the parser refuses).
"""

from __future__ import annotations

import re
from ast import literal_eval

from lark import Lark
from lark.grammar import NonTerminal, Terminal
from lark.lexer import PatternRE, PatternStr

from .nodes import EMPTY, Chars, GrammarError, Lit, Node, Ref, Repeat, alt, mapped, merged_ranges, minus, parts, seq
from .regex import regex_node

#: Terminals whose text the parser checks further after lexing; the decoder writes this narrower pattern
#: (a sublanguage of the grammar's): a STRING has only the escapes ``\\" \\\\ \\n \\t \\{ \\}`` and its
#: braces are escaped or enclose a ``{name}`` / ``{name.field}`` reference (see ``parser._string``).
PARSER_CHECKED = {
    "STRING": r'"([^"\\\n{]|\\["\\nt{}]|\{[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\})*"',
}
#: The most times each unbounded repeat inside these terminals may repeat (small models ramble).
MAX_REPEATS = {"NAME": 63, "STRING": 200, "COMMENT": 200, "NUMBER": 24, "INT": 24}


# ---------------------------------------------------------------- reading the Lark grammar


def grammar_rules(parser: Lark) -> dict[str, Node]:
    """The parser's rules as nodes, by name."""
    rules: dict[str, Node] = {}
    for name, params, tree, _options in parser.grammar.rule_defs:
        if params:
            raise GrammarError(f"{name}: template rules are not supported in decoding grammars")
        rules[str(name)] = lark_node(tree, str(name))
    return rules


def grammar_terminals(parser: Lark) -> dict[str, Node]:
    """The parser's terminals as nodes, as the grammar writes them (before :func:`decoded_terminals`)."""
    return {str(n): lark_node(tree, str(n)) for n, (tree, _prio) in parser.grammar.term_defs if tree is not None}


def decoded_terminals(parser: Lark, terminals: dict[str, Node]) -> dict[str, Node]:
    """Each terminal narrowed to what a decoder may write (:func:`decode_terminal`)."""
    clashes = keyword_clashes(parser)
    return {n: decode_terminal(n, body, clashes.get(n, set())) for n, body in terminals.items()}


def lark_node(tree, where: str) -> Node:
    """One of Lark's grammar trees (a rule's or a terminal's body) as a node; ``where`` names it in errors."""
    if isinstance(tree, (Terminal, NonTerminal)):
        return Ref(tree.name)
    data, kids = str(tree.data), tree.children
    if data == "expansions":
        return alt([lark_node(k, where) for k in kids])
    if data in ("alias", "value"):
        return lark_node(kids[0], where)
    if data == "expansion":
        return seq(lark_node(k, where) for k in kids)
    if data == "maybe":
        return Repeat(lark_node(kids[0], where), 0, 1)
    if data == "expr":
        item, op, *bounds = kids
        low, high = {"?": (0, 1), "*": (0, None), "+": (1, None)}.get(op, (None, None))
        if op == "~":
            low, high = int(bounds[0]), int(bounds[-1])
        if low is None:
            raise GrammarError(f"{where}: unknown operator {op!r}")
        return Repeat(lark_node(item, where), low, high)
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


def keyword_clashes(parser: Lark) -> dict[str, set[str]]:
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


def decode_terminal(name: str, node: Node, keywords: set[str]) -> Node:
    """A terminal narrowed: the parser's own check, a bounded length, without ``keywords``, without NUL."""
    if name in PARSER_CHECKED:
        node = regex_node(PARSER_CHECKED[name], name)
    if name in MAX_REPEATS:
        node = _bounded(node, MAX_REPEATS[name])
    if keywords:
        node = _excluding(node, keywords, name)
    return _without_nul(node)


def _bounded(node: Node, limit: int) -> Node:
    return mapped(
        node, lambda n: Repeat(n.item, n.min, max(limit, n.min)) if isinstance(n, Repeat) and n.max is None else n
    )


def _without_nul(node: Node) -> Node:
    def strip(n: Node) -> Node:
        if not isinstance(n, Chars):
            return n
        if n.negated:
            return Chars(merged_ranges(n.ranges + ((0, 0),)), True)
        kept = minus(n, {0})
        if kept is None:
            raise GrammarError("a character class that only holds NUL cannot be written (the parser refuses NUL)")
        return kept

    return mapped(node, strip)


def _excluding(node: Node, words: set[str], where: str) -> Node:
    """An identifier-shaped terminal (``[head][tail]{0,n}``) that never matches one of ``words``."""
    head, rest = (parts(node) + (None, None))[:2]
    if not (isinstance(head, Chars) and isinstance(rest, Repeat) and isinstance(rest.item, Chars) and rest.min == 0):
        raise GrammarError(f"{where}: keywords {sorted(words)} can only be cut out of a `[...][...]*` terminal")
    tail, limit = rest.item, rest.max

    def after(prefix: str) -> Node:  # what may follow `prefix`, a prefix of some keyword
        depth = len(prefix)
        if limit is not None and depth > limit:
            return EMPTY
        nexts = {w[depth] for w in words if len(w) > depth and w.startswith(prefix)}
        branches: list[Node] = []
        other = minus(tail if depth else head, {ord(c) for c in nexts})
        if other is not None:
            free = None if limit is None else limit - depth
            branches.append(seq((other, Repeat(tail, 0, free))))
        branches += [seq((Lit(c), after(prefix + c))) for c in sorted(nexts)]
        if depth and prefix not in words:
            branches.append(EMPTY)
        return alt(branches)

    return after("")
