"""Source text → :class:`~planact.syntax.ast.Plan`.

Design: one LALR parser built once from ``grammar/plan.lark`` (cached), an
indentation post-lexer for action blocks, and a :class:`Lark Transformer
<lark.Transformer>` with one method per grammar rule that builds the typed
tree.  Lark's parse errors are turned into :class:`Diagnostic` objects whose
messages name the expected tokens in words.  Comments are not grammar tokens
the tree keeps; they are found by a small string-aware scan and attached to
the line-level node they precede (or end) so the formatter can print them.
"""

from __future__ import annotations

import gc
import re
import threading
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput
from lark.indenter import DedentError, Indenter

from . import ast
from .comments import attach_comments, comments_in
from .diagnostics import Diagnostic, PlanError, newline_normalised
from .errors import dedent_line, syntax_diagnostic

MAX_SOURCE_BYTES = 16 * 1024 * 1024
MAX_TREE_DEPTH = 100


class _PlanIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB", "LBRACE"]
    CLOSE_PAREN_types = ["RPAR", "RSQB", "RBRACE"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 4


def grammar_text() -> str:
    """The plan grammar, as shipped inside the package."""
    return resources.files("planact").joinpath("grammar/plan.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The cached LALR parser for plans (a tree with positions, transformed afterwards)."""
    return _new_parser()


_parsers = threading.local()


def _thread_parser() -> Lark:
    """This thread's parser: the indentation post-lexer keeps state while it parses, so two threads
    parsing at once (the language server lints in worker threads) must not share one (~65 ms to build)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = (
            lark_parser() if threading.current_thread() is threading.main_thread() else _new_parser()
        )
    return parser


def _new_parser() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_PlanIndenter(),
        keep_all_tokens=True,
        maybe_placeholders=True,
        transformer=_ToAst().callbacks(),
        start=["start", "patch", "reply"],
    )


def _span_of(token: Token) -> ast.Span:
    return ast.Span(token.line, token.column, token.end_line, token.end_column)  # type: ignore[arg-type]


class _Abort(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "{": "{", "}": "}"}
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


def _string(token: Token) -> ast.StringLit:
    """Unescape a STRING token and split it into literal text and ``{var}`` references."""
    raw = token.value[1:-1]
    parts: list[str | ast.Ref] = []
    buf: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            nxt = raw[i + 1]
            if nxt not in _ESCAPES:
                _fail(
                    token,
                    i + 1,
                    2,
                    "PA104",
                    f"unknown escape `\\{nxt}` in string",
                    'use one of \\" \\\\ \\n \\t \\{ \\}',
                )
            buf.append(_ESCAPES[nxt])
            i += 2
        elif ch == "{":
            end = raw.find("}", i)
            name = raw[i + 1 : end] if end >= 0 else ""
            if end < 0 or not _DOTTED.match(name.strip()):
                width = (end - i + 1) if end >= 0 else len(raw) - i
                _fail(
                    token,
                    i + 1,
                    width,
                    "PA104",
                    "bad interpolation in string: expected `{name}` or `{name.field}`",
                    "write a literal brace as `\\{`",
                )
            if buf:
                parts.append("".join(buf))
                buf = []
            first, *rest = name.strip().split(".")
            col = token.column + 1 + i  # type: ignore[operator]
            span = ast.Span(line=token.line, column=col, end_line=token.line, end_column=col + end - i + 1)  # type: ignore[arg-type]
            parts.append(ast.Ref.new(name=first, fields=tuple(rest), span=span))
            i = end + 1
        else:
            buf.append(ch)
            i += 1
    if buf:
        parts.append("".join(buf))
    return ast.StringLit.new(parts=tuple(parts), span=_span_of(token))


def _fail(token: Token, offset: int, width: int, code: str, message: str, help: str | None = None) -> None:
    col = token.column + offset  # type: ignore[operator]
    span = ast.Span(line=token.line, column=col, end_line=token.line, end_column=col + max(width, 1))  # type: ignore[arg-type]
    raise _Abort(Diagnostic(code=code, message=message, span=span, help=help))


MAX_NUMBER_DIGITS = 15  # before the decimal point: every whole number below 10**15 is exact as a float too
MAX_FRACTION_DIGITS = 30
NUMBER_BOUND = (
    f"a number has at most {MAX_NUMBER_DIGITS} digits before the decimal point (it is less than 10^{MAX_NUMBER_DIGITS}, "
    f"a million billion) and at most {MAX_FRACTION_DIGITS} after it"
)


def _number(token: Token) -> int | float:
    """A NUMBER or INT token's value, within :data:`NUMBER_BOUND` (PA106 otherwise).

    The digits are counted before anything is converted: Python refuses to turn more
    than 4300 digits into an int, and a long decimal would become ``inf``.
    """
    text = token.value
    whole, _, fraction = text.lstrip("-").partition(".")
    digits = len(whole.lstrip("0"))
    value: int | float | None = None
    if digits <= MAX_NUMBER_DIGITS and len(fraction) <= MAX_FRACTION_DIGITS:
        value = float(text) if "." in text else int(text)
        if abs(value) >= 10**MAX_NUMBER_DIGITS:  # 999999999999999.9999 rounds up to 10**15
            value = None
    if value is None:
        shown = text if len(text) <= 24 else f"{text[:10]}…{text[-10:]}"
        size = f"{digits} digits before the decimal point" if digits > MAX_NUMBER_DIGITS else None
        if size is None and len(fraction) > MAX_FRACTION_DIGITS:
            size = f"{len(fraction)} digits after the decimal point"
        raise _Abort(
            Diagnostic(
                code="PA106",
                message=f"number `{shown}` is out of range" + (f": it has {size}" if size else ""),
                span=_span_of(token),
                help=NUMBER_BOUND,
            )
        )
    return value


def _int(token: Token) -> int:
    """An INT token's value (a whole number, within the same bound as every number)."""
    return int(_number(token))


class _Part:
    """A rule's result that is not a node (a header, a body, a position), with the span it covers."""

    __slots__ = ("value", "span")

    def __init__(self, value: object, span: ast.Span) -> None:
        self.value = value
        self.span = span


_KEPT_TOKENS = frozenset({"NAME", "STRING", "NUMBER", "INT", "SCALAR_TYPE", "TARGET_KIND", "DIRECTION"})
_LAYOUT_TOKENS = frozenset({"_NL", "_INDENT", "_DEDENT"})
_state = threading.local()


def _edge(children: list, backwards: bool) -> object:
    for child in reversed(children) if backwards else children:
        if child is not None and not (isinstance(child, Token) and child.type in _LAYOUT_TOKENS):
            return child
    return None


def _children_span(children: list) -> ast.Span:
    """From the start of the first child to the end of the last (layout tokens aside)."""
    first, last = _edge(children, False), _edge(children, True)
    if first is None:
        return ast.NO_SPAN
    if isinstance(first, Token):
        line, column = first.line, first.column
    else:
        line, column = first.span.line, first.span.column  # type: ignore[union-attr]
    if isinstance(last, Token):
        return ast.Span(line, column, last.end_line, last.end_column)  # type: ignore[arg-type]
    end = last.span  # type: ignore[union-attr]
    return ast.Span(line, column, end.end_line, end.end_column)  # type: ignore[arg-type]


def _rule_callback(method, raw_tokens: bool = False):
    """Wrap a ``_ToAst`` method as a Lark inline callback.

    The parser keeps every token so that spans start at keywords; the wrapper
    computes the span, drops punctuation and keywords (keeping placeholders for
    absent optional parts), tracks nesting depth and calls the method.
    """

    def callback(children: list) -> object:
        span = _children_span(children)
        depths = _state.depths
        depth = 1 + max(
            (depths.get(id(c), 0) for c in children if c is not None and not isinstance(c, Token)), default=0
        )
        if depth > MAX_TREE_DEPTH:
            raise _Abort(
                Diagnostic(code="PA105", message=f"plan nested deeper than {MAX_TREE_DEPTH} levels", span=span)
            )
        if not raw_tokens:
            children = [c for c in children if not isinstance(c, Token) or c.type in _KEPT_TOKENS]
        result = method(span, children)
        depths[id(result)] = depth
        return result

    return callback


class _SpannedTuple(tuple):
    """Several nodes as one child of a rule, with the span the rule callback reads."""

    span: ast.Span


class _ToAst:
    """One method per grammar rule, each returning a typed node.

    Methods take ``(span, children)``: the span the rule covers and its
    children without punctuation.  They run inside the LALR parser as rules
    are reduced (no intermediate tree); see :func:`_rule_callback`.
    """

    def callbacks(self) -> Transformer:
        inline = Transformer()
        for name in dir(self):
            if not name.startswith("_") and name != "callbacks":
                setattr(inline, name, _rule_callback(getattr(self, name), raw_tokens=name == "compare_op"))
        return inline

    # --- plan and items
    def start(self, span, children):
        header, *items = children
        title, goal = header.value
        groups: dict[type, list] = {ast.Use: [], ast.Site: [], ast.Input: [], ast.Define: [], ast.Step: []}
        for item in items:
            groups[type(item)].append(item)
        return ast.Plan.new(
            title=title, goal=goal, uses=tuple(groups[ast.Use]), sites=tuple(groups[ast.Site]),
            inputs=tuple(groups[ast.Input]), defines=tuple(groups[ast.Define]),
            steps=tuple(groups[ast.Step]), span=span,
        )  # fmt: skip

    def header(self, span, children):
        title, goal = children
        return _Part((_string(title), goal), span)

    def goal(self, span, children):
        return _string(children[0])

    def use(self, span, children):
        (tok,) = children
        if tok.type == "STRING":
            return ast.Use.new(module=_string(tok).text, is_path=True, span=span)
        return ast.Use.new(module=tok.value, span=span)

    def site(self, span, children):
        name, url = children
        return ast.Site.new(name=self._ident(name), url=_string(url), span=span)

    def input(self, span, children):
        name, type_, patterns, default = children
        return ast.Input.new(
            name=self._ident(name), type=type_, default=default, patterns=tuple(patterns or ()), span=span
        )

    def pattern(self, span, children):
        patterns = _SpannedTuple(_string(tok) for tok in children)
        patterns.span = span
        return patterns

    # --- types
    def scalar_type(self, span, children):
        return ast.ScalarType.new(name=children[0].value, span=span)

    def list_type(self, span, children):
        return ast.ListType.new(item=children[0], span=span)

    def record_type(self, span, children):
        return ast.RecordType.new(fields=tuple(c for c in children if c is not None), span=span)

    def field_type(self, span, children):
        return ast.FieldType.new(name=self._ident(children[0]), type=children[1], span=span)

    # --- steps and procedures
    def step(self, span, children):
        name, intent, output, after, loop, condition, body = children
        call, actions = body.value
        return ast.Step.new(
            id=self._ident(name), intent=_string(intent) if intent else None, output=output,
            after=after.value if after else (), loop=loop, condition=condition, call=call, actions=actions,
            span=span,
        )  # fmt: skip

    def define(self, span, children):
        name, *rest = children
        intent, output, body = rest[-3:]
        params = tuple(p for p in rest[:-3] if p is not None)
        _, actions = body.value
        return ast.Define.new(
            name=self._ident(name), params=params, intent=_string(intent) if intent else None,
            output=output, actions=actions, span=span,
        )  # fmt: skip

    def param(self, span, children):
        return ast.Param.new(name=self._ident(children[0]), type=children[1], span=span)

    def output(self, span, children):
        return children[0]

    def after(self, span, children):
        return _Part(tuple(self._ident(t) for t in children), span)

    def loop(self, span, children):
        var, iterable, bound = children
        return ast.Loop.new(var=self._ident(var), iterable=iterable, max=_int(bound) if bound else None, span=span)

    def condition(self, span, children):
        return children[0]

    def no_body(self, span, children):
        return _Part((None, None), span)

    def call(self, span, children):
        name, *args = children
        return _Part(
            (ast.Call.new(name=self._ident(name), args=tuple(a for a in args if a is not None), span=span), None), span
        )

    def call_body(self, span, children):
        return children[0]

    def block(self, span, children):
        return _Part((None, tuple(children)), span)

    def arg(self, span, children):
        name, value = children
        return ast.Arg.new(name=self._ident(name) if name else None, value=value, span=span)

    # --- actions
    def goto_site(self, span, children):
        site, path = children
        return ast.Goto.new(site=self._ident(site), url=_string(path), span=span)

    def goto(self, span, children):
        return ast.Goto.new(url=children[0], span=span)

    def click(self, span, children):
        return ast.Click.new(target=children[0], span=span)

    def fill(self, span, children):
        return ast.Fill.new(target=children[0], value=children[1], span=span)

    def press(self, span, children):
        return ast.Press.new(key=_string(children[0]), target=children[1], span=span)

    def select(self, span, children):
        return ast.Select.new(target=children[0], value=children[1], span=span)

    def check(self, span, children):
        return ast.Check.new(target=children[0], span=span)

    def uncheck(self, span, children):
        return ast.Uncheck.new(target=children[0], span=span)

    def hover(self, span, children):
        return ast.Hover.new(target=children[0], span=span)

    def scroll(self, span, children):
        direction, amount = children
        return ast.Scroll.new(direction=direction.value, amount=_int(amount) if amount else None, span=span)

    def scroll_to(self, span, children):
        return ast.ScrollTo.new(target=children[0], span=span)

    def wait(self, span, children):
        return ast.Wait.new(seconds=_number(children[0]), span=span)

    def wait_for(self, span, children):
        return ast.WaitFor.new(target=children[0], span=span)

    def back(self, span, children):
        return ast.Back.new(span=span)

    def forward(self, span, children):
        return ast.Forward.new(span=span)

    def tab_open(self, span, children):
        return ast.TabOpen.new(url=children[0], span=span)

    def tab_switch(self, span, children):
        return ast.TabSwitch.new(index=_int(children[0]), span=span)

    def tab_close(self, span, children):
        return ast.TabClose.new(span=span)

    def extract(self, span, children):
        return ast.Extract.new(target=children[0], as_type=children[1], span=span)

    def assert_(self, span, children):
        return ast.Assert.new(condition=children[0], span=span)

    def assert_visible(self, span, children):
        return ast.AssertVisible.new(target=children[0], span=span)

    def answer(self, span, children):
        return ast.Answer.new(value=children[0], span=span)

    # --- targets
    def target(self, span, children):
        kind, name, position, within = children
        pick, index = position.value if position else (None, None)
        return ast.Target.new(
            kind=kind.value, name=_string(name) if name else None, pick=pick, index=index,
            within=within, span=span,
        )  # fmt: skip

    def first(self, span, children):
        return _Part(("first", None), span)

    def last(self, span, children):
        return _Part(("last", None), span)

    def nth(self, span, children):
        return _Part(("nth", _int(children[0])), span)

    def within(self, span, children):
        return children[0]

    def default(self, span, children):
        return children[0]

    def bound(self, span, children):
        return children[0]

    def keyword(self, span, children):
        return children[0]

    def inside(self, span, children):
        return children[0]

    def cast(self, span, children):
        return children[0]

    def atom(self, span, children):  # a parenthesised expression
        return children[0]

    # --- expressions
    def or_(self, span, children):
        return ast.Or.new(items=tuple(children), span=span)

    def and_(self, span, children):
        return ast.And.new(items=tuple(children), span=span)

    def not_(self, span, children):
        return ast.Not.new(operand=children[0], span=span)

    def compare(self, span, children):
        left, op, right = children
        return ast.Compare.new(op=op.value, left=left, right=right, span=span)

    def compare_op(self, span, children):
        return _Part(children[0].value, span)

    def string(self, span, children):
        return _string(children[0])

    def number(self, span, children):
        return ast.NumberLit.new(value=_number(children[0]), span=span)

    def true(self, span, children):
        return ast.BoolLit.new(value=True, span=span)

    def false(self, span, children):
        return ast.BoolLit.new(value=False, span=span)

    def ref(self, span, children):
        first, *rest = children
        return ast.Ref.new(name=first.value, fields=tuple(t.value for t in rest), span=span)

    def list(self, span, children):
        items = tuple(c for c in children if c is not None)
        return ast.ListLit.new(items=items, span=span)

    # --- model answers
    def patch(self, span, children):
        return ast.Patch.new(items=tuple(children), span=span)

    def remove(self, span, children):
        return ast.Remove.new(id=self._ident(children[0]), span=span)

    def reply(self, span, children):
        *actions, done = children
        return ast.Reply.new(actions=tuple(actions), done=done is not None, span=span)

    def done(self, span, children):
        return _Part(True, span)

    @staticmethod
    def _ident(token: Token) -> ast.Ident:
        return ast.Ident.new(name=token.value, span=_span_of(token))


# ------------------------------------------------------------------- entry points


def decode_source(data: bytes) -> str:
    """Bytes of a plan file → text, or :class:`PlanError` (PA103) for binary or oversized input."""
    if len(data) > MAX_SOURCE_BYTES:
        raise PlanError(
            [
                Diagnostic(
                    code="PA103",
                    message=f"file is {len(data) / 1e6:.1f} MB; plans are limited to {MAX_SOURCE_BYTES // 2**20} MiB",
                    span=ast.Span(line=1, column=1, end_line=1, end_column=2),
                )
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise PlanError(
            [
                Diagnostic(
                    code="PA103",
                    message=f"not UTF-8 text: byte 0x{data[err.start]:02x} at offset {err.start}",
                    span=ast.Span(line=line, column=column, end_line=line, end_column=column + 1),
                )
            ]
        ) from None
    return text.removeprefix("\ufeff")


def parse(text: str) -> ast.Plan:
    """Parse plan source text; raises :class:`PlanError` with diagnostics on bad input."""
    return _parse(text, "start")


def parse_patch(text: str) -> ast.Patch:
    """Parse a replanning patch (``step`` definitions and ``remove step ID`` lines; empty: no change)."""
    if not "".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip():
        return ast.Patch.new(items=(), span=ast.Span(line=1, column=1, end_line=1, end_column=1))
    return _parse(text, "patch")


def parse_reply(text: str) -> ast.Reply:
    """Parse an executor answer (action lines, then optionally ``done``)."""
    if not text.strip():
        return ast.Reply.new(actions=(), done=False, span=ast.Span(line=1, column=1, end_line=1, end_column=1))
    return _parse(text, "reply")


def _parse(text: str, start: str):
    if len(text) > MAX_SOURCE_BYTES:
        return parse_bytes(text.encode("utf-8", "surrogatepass"))
    source = newline_normalised(text)  # a lone \r ends a line too, as in old Mac files
    nul = source.find("\0")
    if nul >= 0:
        line = source.count("\n", 0, nul) + 1
        column = nul - (source.rfind("\n", 0, nul) + 1) + 1
        raise PlanError(
            [
                Diagnostic(
                    code="PA103",
                    message="NUL character in plan text: is this a binary file?",
                    span=ast.Span(line=line, column=column, end_line=line, end_column=column + 1),
                )
            ]
        )
    if not source.strip():
        raise PlanError(
            [
                Diagnostic(
                    code="PA100",
                    message='empty plan; a plan starts with `plan "TITLE"`',
                    span=ast.Span(line=1, column=1, end_line=1, end_column=1),
                )
            ]
        )
    if not source.endswith("\n"):
        source += "\n"
    _state.depths = {}
    collecting = gc.isenabled()
    gc.disable()  # the tree holds no reference cycles: collections while building it are wasted work
    try:
        plan = _thread_parser().parse(source, start=start)
    except UnexpectedInput as err:
        raise PlanError([syntax_diagnostic(err, source, lark_parser().terminals)]) from None
    except DedentError as err:
        line = dedent_line(source, str(err))
        raise PlanError(
            [
                Diagnostic(
                    code="PA100",
                    message="inconsistent indentation: this line matches no enclosing block",
                    span=ast.Span(line=line, column=1, end_line=line, end_column=2),
                    help="indent action lines by 4 spaces under their step",
                )
            ]
        ) from None
    except _Abort as err:
        raise PlanError([err.diagnostic]) from None
    finally:
        _state.depths = {}
        if collecting:
            gc.enable()
    return attach_comments(plan, comments_in(source)) if start == "start" else plan


def parse_bytes(data: bytes) -> ast.Plan:
    """Parse the bytes of a plan file (checks encoding and size first)."""
    return parse(decode_source(data))
