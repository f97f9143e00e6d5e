"""Decoder forms of the plan grammar (GBNF, llguidance Lark, xgrammar EBNF), generated from grammar/plan.lark.

A constrained decoder may only write what these grammars allow, and
everything they allow parses: each form is a *sublanguage* of what
:func:`~planact.syntax.parser.parse` (or ``parse_patch``, ``parse_reply``)
accepts.  Nothing is copied by hand from ``plan.lark``; the generator reads
the cached LALR parser (``rule_defs``, ``term_defs``, the parse table) and goes
through a small intermediate form (:class:`Lit`, :class:`Chars`, :class:`Seq`,
:class:`Alt`, :class:`Repeat`, :class:`Ref`; :mod:`.nodes`) in four steps:

1. *Read* (:mod:`.read`): Lark's EBNF trees become nodes; regex terminals go
   through our own regex reader (:mod:`.regex`) into literals, classes, groups,
   ``|`` and greedy repeats (anything else is a :class:`GrammarError` naming it).
2. *Terminals* (:mod:`.read`): what the parser checks after lexing narrows a terminal
   (:data:`PARSER_CHECKED`: string escapes and ``{name}`` interpolation);
   unbounded repeats get a bound (:data:`MAX_REPEATS`: at most 64 characters
   in a NAME, 200 characters/escapes in a STRING or a comment, 24 digits in a
   number); keywords that Lark's contextual lexer would take for a keyword where
   a NAME is expected (``not``, ``true``, ``false``, ``visible``, found in the parse
   table) are cut out of that terminal; NUL (refused by the parser) is never written.
3. *Layout* (:mod:`.layout`): the indenter's tokens become text.  ``_NL`` is ``"\\n"``; a block
   ``_INDENT line+ _DEDENT`` becomes lines each prefixed by exactly 4 spaces;
   the optional ``_NL`` that opens a start rule becomes up to 20 whole-line ``#``
   comments (where a model puts its reasoning; comments go nowhere else);
   top-level lines of a start rule may be preceded by up to 2 blank lines
   (none in replies: a small model fills them with repeated actions).
4. *Spacing* (:mod:`.layout`): tokens on a line are separated by one space, mandatory where a
   token that may end in a word character meets one that may start with one
   (FIRST/LAST sets over nullable symbols), optional elsewhere; never at the
   start or end of a line.  ``%ignore`` does not carry over.

Three printers write the result: GBNF for llama.cpp and EBNF for xgrammar
(:mod:`.bnf`; both ``root ::= ...``; a repeated group holding a counted repeat becomes a
rule of its own, as llama.cpp limits how far it expands them) and Lark for
llguidance (:mod:`.llguidance`; terminals as regexes; literals stay separate tokens because its
lexer is greedy).  The empty answer is never allowed (the parser refuses it).
Not expressed: the parser's nesting limit (``MAX_TREE_DEPTH`` = 100 levels of
brackets, ``not`` or ``within``) and its 16 MiB size limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from ..parser import lark_parser
from .bnf import bnf
from .layout import Layout
from .llguidance import llguidance_lark
from .nodes import EMPTY, ROOT, Alt, Chars, GrammarError, Lit, Node, Ref, Repeat, Rules, Seq
from .page import narrowed_to_page, one_turn
from .read import MAX_REPEATS, PARSER_CHECKED
from .regex import regex_node, to_regex

__all__ = [
    "EMPTY", "MAX_BLANK_LINES", "MAX_COMMENT_LINES", "MAX_REPEATS", "PARSER_CHECKED", "REASONING_LINES", "ROOT",
    "Alt", "Chars", "DecodingGrammar", "GrammarError", "Lit", "Node", "Ref", "Repeat", "Rules", "Seq",
    "decoding_grammar", "decoding_rules", "narrowed_to_page", "one_turn", "page_reply_grammar", "plan_grammar",
    "regex_node", "reply_grammar", "revision_grammar", "steps_grammar", "to_regex",
]  # fmt: skip

MAX_COMMENT_LINES = 20
REASONING_LINES = 3  # leading comment lines in a replanning answer: room to think, not to ramble
MAX_BLANK_LINES = 2

_REPLY = (("reply",), 0, 0)  # the executor's answer: its start rule, no blank lines, no leading comments
_HEADER = "planact {name} grammar for {engine}, generated from grammar/plan.lark by planact.syntax.decoding"


@dataclass(frozen=True)
class DecodingGrammar:
    """One start symbol of the plan grammar in each constrained-decoding dialect."""

    name: str  # "plan", "revision", "reply"
    gbnf: str  # llama.cpp
    lark: str  # llguidance (vLLM's guidance backend)
    ebnf: str  # xgrammar (vLLM's default structured-output backend)


@cache
def decoding_rules(
    starts: tuple[str, ...], blank_lines: int = MAX_BLANK_LINES, comment_lines: int = MAX_COMMENT_LINES
) -> Rules:
    """The intermediate form of the decoding grammar whose root is one of the ``starts`` rules of plan.lark.

    ``blank_lines``: how many empty lines may come before each top-level line of a start rule;
    ``comment_lines``: how many whole-line comments (a model's reasoning) may open the text.
    """
    return Layout(lark_parser(), starts, blank_lines, comment_lines).rules()


@cache
def decoding_grammar(
    name: str, starts: tuple[str, ...], blank_lines: int = MAX_BLANK_LINES, comment_lines: int = MAX_COMMENT_LINES
) -> DecodingGrammar:
    """The decoding grammar, in the three dialects, for text that one of the ``starts`` rules accepts."""
    return _printed(name, name, decoding_rules(starts, blank_lines, comment_lines))


def _printed(name: str, title: str, rules: Rules) -> DecodingGrammar:
    """``rules`` in each dialect, each under a header naming the grammar ``title``."""
    return DecodingGrammar(
        name=name,
        gbnf=bnf(rules, _HEADER.format(name=title, engine="llama.cpp (GBNF)")),
        lark=llguidance_lark(rules, _HEADER.format(name=title, engine="llguidance (Lark)")),
        ebnf=bnf(rules, _HEADER.format(name=title, engine="xgrammar (EBNF)")),
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
    return decoding_grammar("reply", *_REPLY)


def page_reply_grammar(shown: Mapping[str, tuple[str, str]], *, one: bool = False) -> DecodingGrammar:
    """:func:`reply_grammar` for one page: a target names an element of ``shown`` (``{ref: (role, name)}``, the
    page's ``[ref=eN]`` elements): one of its refs, or one of its roles with one of that role's names, so that
    a constrained model cannot answer with an element the page does not show (:mod:`.page`).

    ``one``: a compact-form turn, one action or ``done`` (:func:`~.page.one_turn`)."""
    return _page_reply(tuple(sorted(shown.items())), one)


@lru_cache(maxsize=64)  # the pages of the steps being grounded; a page's grammar takes a few ms to build
def _page_reply(shown: tuple[tuple[str, tuple[str, str]], ...], one: bool) -> DecodingGrammar:
    rules = narrowed_to_page(decoding_rules(*_REPLY), dict(shown))
    return _printed("reply", "page reply", one_turn(rules) if one else rules)
