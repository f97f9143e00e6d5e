"""What the editor shows on hover: a name's kind, type and where it is bound, an action's
meaning, a target kind, and the ``--explain`` text of a diagnostic under the cursor."""

from __future__ import annotations

import re

from ..check import all_rules
from ..check.analysis import Analysis
from ..lang import types as ty
from ..syntax import ast
from ..syntax.diagnostics import Diagnostic
from ..syntax.format import (
    define_header,
    format_call,
    format_expr,
    format_input,
    format_loop,
    format_string,
    format_type,
    step_header,
)
from .index import Key, PlanIndex

# How each action is written, by op (the summary comes from the action class).
ACTION_SYNTAX = {
    "goto": 'goto SITE "/path"  |  goto URL',
    "click": "click TARGET",
    "fill": "fill TARGET with VALUE",
    "press": 'press "Key" [in TARGET]',
    "select": "select TARGET with VALUE",
    "check": "check TARGET",
    "uncheck": "uncheck TARGET",
    "hover": "hover TARGET",
    "scroll": "scroll up|down [N]",
    "scroll_to": "scroll to TARGET",
    "wait": "wait SECONDS",
    "wait_for": "wait for TARGET",
    "back": "back",
    "forward": "forward",
    "tab_open": "tab open [URL]",
    "tab_switch": "tab switch N",
    "tab_close": "tab close",
    "extract": "extract TARGET [as TYPE]",
    "assert": "assert CONDITION",
    "assert_visible": "assert visible TARGET",
    "answer": "answer VALUE",
}

LOCATOR_MEANING = {
    "label": "the form field whose label is the given text",
    "placeholder": "the field whose placeholder is the given text",
    "text": "the element whose visible text is (or contains) the given text",
    "testid": "the element whose test id (`data-testid`) is the given text",
    "css": "the elements a CSS selector matches (a fallback: prefer a role and name)",
    "ref": "an element of the model's page observation, by its reference (`e12`)",
}

KEYWORDS = {
    "plan": '`plan "TITLE"`: the task this plan does (the first line of a plan)',
    "goal": '`goal "..."`: a longer statement of the task',
    "use": "`use web` imports the stdlib's procedures; `use \"lib.pa\"` a file's, beside the plan",
    "site": '`site NAME = "http://..."`: an origin the plan may visit; nothing else is reachable',
    "input": "`input NAME: TYPE [= DEFAULT]`: a typed parameter of the plan",
    "define": '`define step NAME(PARAM: TYPE, ...) "intent" -> T:` a reusable procedure',
    "step": '`step ID "intent" -> T after A, B for X in XS max N if COND`: one unit of work',
    "after": "`after A, B`: the step follows exactly these steps (without it: the step written before it)",
    "for": "`for X in XS max N`: run the step once per item; it binds a `list of T`",
    "max": "`max N`: the most items a loop runs over",
    "if": "`if COND`: run the step only when the condition holds (a bool)",
    "within": "`within TARGET`: look for the element inside another one",
    "first": "pick the first of several matching elements",
    "last": "pick the last of several matching elements",
    "nth": "`nth N`: pick the Nth matching element (0 is the first)",
    "as": "`as TYPE`: read the element's content as this type",
    "with": "`with VALUE`: the value typed or chosen",
    "matching": '`matching "pattern {field}" or "..."`: the input is given as text and parsed',
    "list": "`list of T`: a list of values of type T",
    "record": "`record {name: T, ...}`: a value with named fields",
    "text": "the type of text",
    "number": "the type of numbers",
    "bool": "the type of `true` and `false` (conditions)",
    "url": "the type of URLs (a kind of text)",
    "secret": "text that is never shown, logged or written into text: only filled into a field",
    "contains": "`A contains B`: text holds text, or a list holds an item",
    "matches": '`A matches "regex"`: text matches a Python regular expression',
}

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def word_at(line: str, column: int) -> tuple[str, int, int] | None:
    """The identifier-like word at a 1-based column (or just before it): text, start, end (1-based, exclusive)."""
    for m in _WORD.finditer(line):
        if m.start() + 1 <= column <= m.end() + 1:
            return m.group(0), m.start() + 1, m.end() + 1
    return None


def _type(t: ty.T) -> str:
    return ty.show(t)


def _code(text: str) -> str:
    return f"```planact\n{text}\n```"


def _where(index: PlanIndex, key: Key) -> str:
    sym = index.symbols.get(key)
    if sym is None or sym.place is None:
        return ""
    if sym.place.path is None:
        return f"defined on line {sym.place.span.line}"
    return f"defined in `{sym.place.path}` line {sym.place.span.line}"


def symbol_markdown(index: PlanIndex, analysis: Analysis | None, key: Key) -> str | None:
    """The hover text of a name."""
    kind, name, owner = key
    sym = index.symbols.get(key)
    if sym is None:
        return None
    node = sym.node
    readers = sorted({_reader(index, o.span.line) for o in index.references(key) if not o.definition} - {None})
    read_by = ("\n\nread by " + ", ".join(f"`{r}`" for r in readers)) if readers else ""
    if kind == "step" and isinstance(node, ast.Step):
        out = [_code(step_header(node) + (": " + format_call(node.call) if node.call else ""))]
        if analysis is not None:
            t = analysis.step_output(node)
            out.append(f"binds `{name}: {_type(t)}`" if t is not None else "binds nothing (no output type)")
            deps = [d for d in analysis.dependencies if d.step == name]
            if deps:
                words = {"order": "after", "sequence": "the step before it", "data": "reads its output"}
                out.append("runs after " + ", ".join(f"`{d.on}` ({words[d.kind]})" for d in deps))
            else:
                out.append("runs first (depends on no step)")
        out.append(_where(index, key) + read_by)
        return "\n\n".join(p for p in out if p)
    if kind == "input" and isinstance(node, ast.Input):
        return f"{_code(format_input(node))}\n\ninput of the plan, {_where(index, key)}{read_by}"
    if kind == "loop" and isinstance(node, ast.Loop):
        item: ty.T = None
        if analysis is not None:
            it = analysis.type_of(node.iterable)
            item = it[1] if isinstance(it, tuple) and it[0] == "list" else None
        return (
            f"{_code(f'{name}: {_type(item)}')}\n\nloop variable of step `{owner}`: each item of "
            f"`{format_expr(node.iterable)}` (`for {format_loop(node)}`), {_where(index, key)}"
        )
    if kind == "param" and isinstance(node, ast.Param):
        return f"{_code(f'{name}: {format_type(node.type)}')}\n\nparameter of procedure `{owner}`, {_where(index, key)}"
    if kind == "site" and isinstance(node, ast.Site):
        return (
            f"{_code(f'site {name} = {format_string(node.url)}')}\n\nan origin the plan may visit, {_where(index, key)}"
        )
    if kind == "procedure" and isinstance(node, ast.Define):
        actions = len(node.actions or ())
        body = f"{actions} action{'s' if actions != 1 else ''}" if node.actions else "ungrounded (a model grounds it)"
        module = next((m for m in index.modules if m.path == owner), None)
        origin = "this plan" if owner == index.owner else f"module `{module.use.module if module else owner}`"
        intent = f"\n\n{node.intent.text}" if node.intent else ""
        return f"{_code(define_header(node))}{intent}\n\nprocedure from {origin}, {body}; {_where(index, key)}"
    if kind == "module":
        module = node
        plan = getattr(module, "plan", None)
        if plan is None:
            return f"module `{name}`: not found or does not parse (see its diagnostic)"
        procs = "\n".join(f"- `{define_header(d)}`" for d in plan.defines) or "no procedures"
        return f"module `{name}` (`{getattr(module, 'path', '')}`)\n\n{procs}"
    if kind == "builtin":
        return _code("page: record {title: text, url: url}") + "\n\nthe page the browser is on (built in)"
    return None


def _reader(index: PlanIndex, line: int) -> str | None:
    node = index.step_at(line)
    if isinstance(node, ast.Step):
        return node.id.name
    if isinstance(node, ast.Define):
        return node.name.name
    return None


def action_markdown(action: ast.Action) -> str:
    summary = type(action).summary
    return f"{_code(ACTION_SYNTAX.get(action.op, action.op))}\n\n**{action.op.replace('_', ' ')}**: {summary}"


def target_markdown(kind: str) -> str:
    if kind in LOCATOR_MEANING:
        return f"**{kind}** target: {LOCATOR_MEANING[kind]}\n\nthen `first`, `last` or `nth N`, and `within TARGET`"
    return (
        f"**{kind}** target: an element with ARIA role `{kind}`, by its accessible name "
        f'(`{kind} "Name"`)\n\nthen `first`, `last` or `nth N`, and `within TARGET`'
    )


def diagnostic_markdown(d: Diagnostic) -> str:
    rule = all_rules().get(d.code)
    head = f"**{d.code}** {rule.name if rule else ''}: {d.message}"
    if d.help:
        head += f"\n\nhelp: {d.help}"
    if rule is not None:
        head += "\n\n---\n\n" + rule.explain().strip()
    return head


def _contains(span: ast.Span, line: int, column: int) -> bool:
    if not span:
        return line == 1
    if span.end_line > span.line:
        return span.line <= line <= span.end_line
    return span.line == line and span.column <= column <= max(span.end_column, span.column + 1)


def hover_markdown(
    index: PlanIndex | None,
    analysis: Analysis | None,
    diagnostics: list[Diagnostic],
    lines: list[str],
    line: int,
    column: int,
) -> tuple[str, ast.Span | None] | None:
    """The hover at a 1-based position: its markdown and the span it is about."""
    parts: list[str] = []
    span: ast.Span | None = None
    if index is not None:
        found = index.at(line, column)
        if found is not None:
            text = symbol_markdown(index, analysis, found.key)
            if text:
                parts.append(text)
                span = found.span
        if not parts:
            parts, span = _action_or_target(index, line, column)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if not parts:
        hit = word_at(text, column)
        if hit and hit[0] in KEYWORDS and in_text(text, hit[1]) is None:
            parts.append(KEYWORDS[hit[0]])
            span = ast.Span(line, hit[1], line, hit[2])
    for d in diagnostics:
        if _contains(d.span, line, column):
            parts.append(diagnostic_markdown(d))
            span = span or d.span
    if not parts:
        return None
    return "\n\n---\n\n".join(parts), span


def in_text(line: str, column: int) -> str | None:
    """Whether a 1-based column lies in a string (``"string"``) or a comment (``"comment"``), else None."""
    inside, i = False, 0
    while i < min(column - 1, len(line)):
        c = line[i]
        if inside and c == "\\":
            i += 2
            continue
        if c == '"':
            inside = not inside
        elif c == "#" and not inside:
            return "comment"
        i += 1
    return "string" if inside else None


def _action_or_target(index: PlanIndex, line: int, column: int) -> tuple[list[str], ast.Span | None]:
    text = index.lines[line - 1] if 0 < line <= len(index.lines) else ""
    hit = word_at(text, column)
    if hit is None:
        return [], None
    word, start, end = hit
    for span, kind in index.targets:
        if span.line == line and span.column == start and word == kind:
            return [target_markdown(kind)], ast.Span(line, start, line, end)
    for span, action in index.actions:
        if span.line != line:
            continue
        first = word_at(text, span.column)
        if first and first[1] == start:
            return [action_markdown(action)], ast.Span(line, start, line, end)
        if first and action.op.count("_") and start == _next_word_start(text, first[2]):  # `scroll to`, `tab open`
            return [action_markdown(action)], ast.Span(line, start, line, end)
    return [], None


def _next_word_start(text: str, after: int) -> int:
    m = _WORD.search(text, after - 1)
    return m.start() + 1 if m else -1
