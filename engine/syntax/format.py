"""The canonical printer: :class:`Plan` → source text.

``parse(format_plan(p)) == p`` for every plan ``p`` and formatting is
idempotent.  Items are printed in a fixed order (uses, sites, inputs,
procedures, steps) with their comments; actions are indented by 4 spaces.
"""

from __future__ import annotations

from . import ast
from .visitor import ExprVisitor

INDENT = "    "
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "{": "\\{", "}": "\\}"})


def format_string(s: ast.StringLit) -> str:
    """A string literal with its interpolations."""
    out = []
    for part in s.parts:
        out.append("{" + part.dotted + "}" if isinstance(part, ast.Ref) else part.translate(_STRING_ESCAPES))
    return '"' + "".join(out) + '"'


def format_number(value: int | float) -> str:
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    if "e" in text or "inf" in text or "nan" in text:
        text = f"{value:.20f}".rstrip("0")
        text = text + "0" if text.endswith(".") else text
    return text


def format_type(t: ast.ScalarType | ast.ListType | ast.RecordType) -> str:
    if isinstance(t, ast.ScalarType):
        return t.name
    if isinstance(t, ast.ListType):
        return "list of " + format_type(t.item)
    return "record {" + ", ".join(f"{f.name.name}: {format_type(f.type)}" for f in t.fields) + "}"


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4}


def format_expr(e: object, context: int = 0) -> str:
    """An expression; ``context`` is the precedence of the surrounding operator."""
    text = _FORMATTER.visit(e)
    return f"({text})" if _PRECEDENCE.get(getattr(e, "kind", None), 5) < context else text  # type: ignore[arg-type]


class _ExprFormatter(ExprVisitor, exhaustive=True):
    """The text of an expression, without the parentheses its context may need."""

    def visit_Or(self, e: ast.Or) -> str:
        return " or ".join(format_expr(i, 2) for i in e.items)

    def visit_And(self, e: ast.And) -> str:
        return " and ".join(format_expr(i, 3) for i in e.items)

    def visit_Not(self, e: ast.Not) -> str:
        return "not " + format_expr(e.operand, 3)

    def visit_Compare(self, e: ast.Compare) -> str:
        return f"{format_expr(e.left, 5)} {e.op} {format_expr(e.right, 5)}"

    def visit_Ref(self, e: ast.Ref) -> str:
        return e.dotted

    def visit_StringLit(self, e: ast.StringLit) -> str:
        return format_string(e)

    def visit_NumberLit(self, e: ast.NumberLit) -> str:
        return format_number(e.value)

    def visit_BoolLit(self, e: ast.BoolLit) -> str:
        return "true" if e.value else "false"

    def visit_ListLit(self, e: ast.ListLit) -> str:
        return "[" + ", ".join(format_expr(i) for i in e.items) + "]"


_FORMATTER = _ExprFormatter()


def format_target(t: ast.Target) -> str:
    parts = [t.kind]
    if t.name is not None:
        parts.append(format_string(t.name))
    if t.pick == "nth":
        parts.append(f"nth {t.index}")
    elif t.pick:
        parts.append(t.pick)
    if t.within is not None:
        parts.append("within " + format_target(t.within))
    return " ".join(parts)


def format_action(a: ast.Action) -> str:
    """One action as written in an action block (without indentation or comments)."""
    match a:
        case ast.Goto(site=site, url=url) if site is not None:
            return f"goto {site.name} {format_expr(url)}"
        case ast.Goto(url=url):
            return f"goto {format_expr(url)}"
        case ast.Fill() | ast.Select():
            return f"{a.op} {format_target(a.target)} with {format_expr(a.value)}"
        case ast.Press(target=target, key=key):
            return "press " + format_string(key) + (" in " + format_target(target) if target else "")
        case ast.Scroll(direction=direction, amount=amount):
            return f"scroll {direction}" + (f" {amount}" if amount is not None else "")
        case ast.ScrollTo(target=target):
            return "scroll to " + format_target(target)
        case ast.Wait(seconds=seconds):
            return "wait " + format_number(seconds)
        case ast.WaitFor(target=target):
            return "wait for " + format_target(target)
        case ast.TabOpen(url=url):
            return "tab open" + (" " + format_expr(url) if url is not None else "")
        case ast.TabSwitch(index=index):
            return f"tab switch {index}"
        case ast.TabClose():
            return "tab close"
        case ast.Extract(target=target, as_type=as_type):
            return "extract " + format_target(target) + (" as " + format_type(as_type) if as_type else "")
        case ast.Assert(condition=condition):
            return "assert " + format_expr(condition)
        case ast.AssertVisible(target=target):
            return "assert visible " + format_target(target)
        case ast.Answer(value=value):
            return "answer " + format_expr(value)
        case ast.Back() | ast.Forward():
            return a.op
        case _:  # click, check, uncheck, hover: an op and a target
            return f"{a.op} {format_target(a.target)}"  # type: ignore[attr-defined]


def format_call(c: ast.Call) -> str:
    args = ", ".join((f"{a.name.name}=" if a.name else "") + format_expr(a.value) for a in c.args)
    return f"{c.name.name}({args})"


def format_loop(loop: ast.Loop) -> str:
    """``item in items max 20`` (what follows ``for``)."""
    return f"{loop.var.name} in {format_expr(loop.iterable)}" + (f" max {loop.max}" if loop.max is not None else "")


def step_header(s: ast.Step) -> str:
    """The first line of a step, without the ``:`` that opens its body."""
    parts = ["step", s.id.name]
    if s.intent is not None:
        parts.append(format_string(s.intent))
    if s.output is not None:
        parts.append("-> " + format_type(s.output))
    if s.after:
        parts.append("after " + ", ".join(i.name for i in s.after))
    if s.loop is not None:
        parts.append("for " + format_loop(s.loop))
    if s.condition is not None:
        parts.append("if " + format_expr(s.condition))
    return " ".join(parts)


def _lines(node: ast.Line, text: str, indent: str = "") -> list[str]:
    out = [f"{indent}# {c}".rstrip() for c in node.comments]
    out.append(indent + text + (f"  # {node.trailing}".rstrip() if node.trailing is not None else ""))
    return out


def _block(node: ast.Step | ast.Define, header: str) -> list[str]:
    if node.actions is None:
        return _lines(node, header)
    out = _lines(node, header + ":")
    for action in node.actions:
        out.extend(_lines(action, format_action(action), INDENT))
    return out


def format_step(s: ast.Step) -> list[str]:
    """A step as lines (header, call or action block), with its comments."""
    if s.call is not None:
        return _lines(s, step_header(s) + ": " + format_call(s.call))
    return _block(s, step_header(s))


def define_header(d: ast.Define) -> str:
    """A procedure's first line without its colon: ``define step NAME(PARAMS) "intent" -> TYPE``."""
    params = ", ".join(f"{p.name.name}: {format_type(p.type)}" for p in d.params)
    header = f"define step {d.name.name}({params})"
    if d.intent is not None:
        header += " " + format_string(d.intent)
    if d.output is not None:
        header += " -> " + format_type(d.output)
    return header


def format_define(d: ast.Define) -> list[str]:
    return _block(d, define_header(d))


def format_use(u: ast.Use) -> str:
    return "use " + (format_string(ast.StringLit(parts=(u.module,))) if u.is_path else u.module)


def format_site(s: ast.Site) -> str:
    return f"site {s.name.name} = {format_string(s.url)}"


def format_input(i: ast.Input) -> str:
    default = f" = {format_expr(i.default)}" if i.default is not None else ""
    pattern = (" matching " + " or ".join(format_string(p) for p in i.patterns)) if i.patterns else ""
    return f"input {i.name.name}: {format_type(i.type)}{pattern}{default}"


def format_plan(plan: ast.Plan) -> str:
    """The canonical text of a plan."""
    head = _lines(plan, "plan " + format_string(plan.title))
    if plan.goal is not None:
        head.append("goal " + format_string(plan.goal))
    sections = [head]
    for group, render in ((plan.uses, format_use), (plan.sites, format_site), (plan.inputs, format_input)):
        if group:
            sections.append([line for item in group for line in _lines(item, render(item))])
    sections.extend(format_define(d) for d in plan.defines)
    sections.extend(format_step(s) for s in plan.steps)
    if plan.end_comments:
        sections.append([f"# {c}".rstrip() for c in plan.end_comments])
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
