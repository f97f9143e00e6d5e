"""Every plan in plans/ and stdlib/ parses, is in canonical form and lints clean; together the examples use every construct."""

from pathlib import Path

import pytest

from planact import parse
from planact.check import check_plan
from planact.syntax import ast
from planact.syntax.format import format_plan

ROOT = Path(__file__).parent.parent
PLANS = sorted((ROOT / "plans").rglob("*.pa")) + sorted((ROOT / "stdlib").glob("*.pa"))
EXAMPLES = sorted((ROOT / "plans" / "examples").glob("*.pa"))


@pytest.mark.parametrize("path", PLANS, ids=[str(p.relative_to(ROOT)) for p in PLANS])
def test_plan_is_canonical_and_lints_clean(path: Path):
    text = path.read_text(encoding="utf-8")
    plan = parse(text)
    assert format_plan(plan) == text, "run `planact fmt` on it"
    assert check_plan(plan, source=text, path=str(path)) == []


def test_there_are_at_least_ten_examples_and_eight_procedures():
    assert len(EXAMPLES) >= 10
    assert len(parse((ROOT / "stdlib" / "web.pa").read_text()).defines) >= 8


def _walk(node, found: set[str]) -> None:
    """Record the kind of every node (and a few details) under ``node``."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (tuple, list)):
            stack.extend(n)
            continue
        if not isinstance(n, ast.Node):
            continue
        found.add(type(n).__name__)
        if isinstance(n, ast.Action):
            found.add("action:" + n.op)
        if isinstance(n, ast.Target):
            found.add("pick:" + str(n.pick))
            found.add("within" if n.within else "no-within")
        if isinstance(n, (ast.ScalarType, ast.ListType, ast.RecordType)):
            found.add("type:" + (n.name if isinstance(n, ast.ScalarType) else n.kind))
        if isinstance(n, ast.Compare):
            found.add("op:" + n.op)
        if isinstance(n, ast.Arg):
            found.add("arg:keyword" if n.name else "arg:positional")
        if isinstance(n, ast.Step):
            found.add("step:" + ("call" if n.call else "block" if n.actions else "ungrounded"))
            found |= {f"step:{f}" for f in ("after", "loop", "condition", "output") if getattr(n, f)}
            if n.loop and n.loop.max is not None:
                found.add("loop:max")
        if isinstance(n, ast.Line) and (n.comments or n.trailing):
            found.add("comment")
            if n.trailing and "noqa" in n.trailing:
                found.add("noqa")
        if isinstance(n, ast.Plan) and n.goal:
            found.add("goal")
        if isinstance(n, ast.StringLit) and any(isinstance(p, ast.Ref) and p.fields for p in n.parts):
            found.add("interpolation:field")
        stack.extend(getattr(n, f) for f in type(n).model_fields if f != "span")


def test_examples_together_use_every_construct():
    found: set[str] = set()
    for path in EXAMPLES:
        _walk(parse(path.read_text()), found)
    expected = {f"action:{op}" for op in ast.Action.registry}
    expected |= {f"type:{t}" for t in ("text", "number", "bool", "url", "secret", "list", "record")}
    expected |= {"pick:first", "pick:last", "pick:nth", "within", "goal", "comment", "noqa", "interpolation:field"}
    expected |= {"Use", "Site", "Input", "Define", "Call", "Loop", "loop:max", "arg:keyword", "arg:positional"}
    expected |= {
        "step:call",
        "step:block",
        "step:ungrounded",
        "step:after",
        "step:loop",
        "step:condition",
        "step:output",
    }
    expected |= {"And", "Or", "Not", "ListLit", "BoolLit", "NumberLit"} | {
        f"op:{o}" for o in ("==", "!=", "<=", ">", "contains", "matches")
    }
    assert expected - found == set()
