"""Hypothesis strategies that generate plan syntax trees (any shape the grammar allows)."""

from __future__ import annotations

from hypothesis import strategies as st

from planact.syntax import ast
from planact.syntax.parser import lark_parser

KEYWORDS = {t.pattern.value for t in lark_parser().terminals if t.pattern.type == "str" and t.pattern.value.isalpha()}
RESERVED = KEYWORDS | set(ast.TARGET_KINDS) | {"text", "number", "bool", "url", "secret", "up", "down"}

names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in RESERVED)
idents = names.map(lambda n: ast.Ident(name=n))
refs = st.builds(lambda n, f: ast.Ref(name=n, fields=tuple(f)), names, st.lists(names, max_size=2))

_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r") | st.sampled_from('\n\t"\\{}#')


def _merge(parts: list) -> tuple:
    out: list = []
    for p in parts:
        if isinstance(p, str):
            if not p:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += p
                continue
        out.append(p)
    return tuple(out)


strings = st.lists(st.text(_chars, max_size=8) | refs, max_size=4).map(lambda ps: ast.StringLit(parts=_merge(ps)))
plain_strings = st.text(_chars, max_size=10).map(lambda s: ast.StringLit(parts=_merge([s])))
comments = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12).map(str.rstrip)
numbers = st.integers(-(10**9), 10**9).map(lambda v: ast.NumberLit(value=v)) | st.floats(-1e6, 1e6).filter(
    lambda x: "e" not in repr(x)
).map(lambda v: ast.NumberLit(value=v))
atoms = refs | strings | numbers | st.booleans().map(lambda b: ast.BoolLit(value=b))


def _extend(inner):
    ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "contains", "matches"])
    return st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: ast.ListLit(items=tuple(xs))),
        st.builds(lambda lhs, o, rhs: ast.Compare(op=o, left=lhs, right=rhs), inner, ops, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ast.And(items=tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ast.Or(items=tuple(xs))),
        inner.map(lambda x: ast.Not(operand=x)),
    )


exprs = st.recursive(atoms, _extend, max_leaves=6)

types = st.recursive(
    st.sampled_from(["text", "number", "bool", "url", "secret"]).map(lambda n: ast.ScalarType(name=n)),
    lambda inner: st.one_of(
        inner.map(lambda t: ast.ListType(item=t)),
        st.lists(st.builds(lambda n, t: ast.FieldType(name=n, type=t), idents, inner), max_size=3).map(
            lambda fs: ast.RecordType(fields=tuple(fs))
        ),
    ),
    max_leaves=4,
)


def _target(within):
    return st.builds(
        lambda kind, name, pick, index, w: ast.Target(
            kind=kind, name=name, pick=pick, index=index if pick == "nth" else None, within=w
        ),
        st.sampled_from(ast.TARGET_KINDS),
        st.none() | strings,
        st.sampled_from([None, "first", "last", "nth"]),
        st.integers(0, 99),
        within,
    )


targets = _target(st.none() | _target(st.none()))
line = {"comments": st.lists(comments, max_size=2).map(tuple), "trailing": st.none() | comments}

actions = st.one_of(
    st.builds(ast.Goto, site=st.none(), url=exprs, **line),
    st.builds(ast.Goto, site=idents, url=strings, **line),
    *[
        st.builds(cls, target=targets, **line)
        for cls in (ast.Click, ast.Check, ast.Uncheck, ast.Hover, ast.ScrollTo, ast.WaitFor, ast.AssertVisible)
    ],
    st.builds(ast.Fill, target=targets, value=exprs, **line),
    st.builds(ast.Select, target=targets, value=exprs, **line),
    st.builds(ast.Press, target=st.none() | targets, key=strings, **line),
    st.builds(ast.Scroll, direction=st.sampled_from(["up", "down"]), amount=st.none() | st.integers(0, 50), **line),
    st.builds(ast.Wait, seconds=st.integers(0, 60) | st.sampled_from([0.5, 1.25, 2.0]), **line),
    st.builds(ast.Back, **line),
    st.builds(ast.Forward, **line),
    st.builds(ast.TabOpen, url=st.none() | exprs, **line),
    st.builds(ast.TabSwitch, index=st.integers(0, 9), **line),
    st.builds(ast.TabClose, **line),
    st.builds(ast.Extract, target=targets, as_type=st.none() | types, **line),
    st.builds(ast.Assert, condition=exprs, **line),
    st.builds(ast.Answer, value=exprs, **line),
)
action_blocks = st.lists(actions, min_size=1, max_size=4).map(tuple)
calls = st.builds(
    lambda n, args: ast.Call(name=n, args=tuple(args)),
    idents,
    st.lists(st.builds(lambda n, v: ast.Arg(name=n, value=v), st.none() | idents, exprs), max_size=3),
)


@st.composite
def steps(draw):
    body = draw(st.sampled_from(["none", "call", "block"]))
    return ast.Step(
        id=draw(idents),
        intent=draw(st.none() | strings),
        output=draw(st.none() | types),
        after=tuple(draw(st.lists(idents, max_size=3))),
        loop=draw(st.none() | st.builds(ast.Loop, var=idents, iterable=exprs, max=st.none() | st.integers(0, 100))),
        condition=draw(st.none() | exprs),
        call=draw(calls) if body == "call" else None,
        actions=draw(action_blocks) if body == "block" else None,
        comments=draw(line["comments"]),
        trailing=draw(line["trailing"]),
    )


defines = st.builds(
    ast.Define,
    name=idents,
    params=st.lists(st.builds(ast.Param, name=idents, type=types), max_size=3).map(tuple),
    intent=st.none() | strings,
    output=st.none() | types,
    actions=st.none() | action_blocks,
    **line,
)
uses = st.one_of(
    st.builds(ast.Use, module=names, **line),
    st.builds(ast.Use, module=st.text(_chars, max_size=10), is_path=st.just(True), **line),
)
sites = st.builds(ast.Site, name=idents, url=plain_strings, **line)
inputs = st.builds(
    ast.Input,
    name=idents,
    type=types,
    default=st.none() | exprs,
    patterns=st.lists(strings, max_size=2).map(tuple),
    **line,
)

plans = st.builds(
    ast.Plan,
    title=strings,
    goal=st.none() | strings,
    uses=st.lists(uses, max_size=2).map(tuple),
    sites=st.lists(sites, max_size=2).map(tuple),
    inputs=st.lists(inputs, max_size=3).map(tuple),
    defines=st.lists(defines, max_size=2).map(tuple),
    steps=st.lists(steps(), max_size=4).map(tuple),
    comments=line["comments"],
    trailing=line["trailing"],
    end_comments=st.lists(comments, max_size=2).map(tuple),
)
