"""PA501: navigation to an undeclared origin."""

from __future__ import annotations

from collections.abc import Iterator

from ...lang.origins import origin_of
from ...syntax import ast
from ...syntax.diagnostics import Diagnostic
from ...syntax.visitor import ExprVisitor
from ..rule import Rule


class UndeclaredOrigin(Rule):
    """What: `goto` or `tab open` names an absolute URL whose origin no `site` declares
    (a relative URL without a site is reported too).

    Why: a plan may only visit the sites it declares; this keeps an agent (or a model that
    wrote the plan) from wandering to other hosts.  The executor enforces the same rule at
    run time, redirects and pop-ups included.

    Example:
        site shop = "http://127.0.0.1:8765"
        step s "Open the docs":
            goto "https://example.com/docs"

    Use instead: declare it: `site docs = "https://example.com"` and `goto docs "/docs"`.
    """

    code = "PA501"
    name = "undeclared-origin"

    def check(self, analysis) -> Iterator[Diagnostic]:
        allowed = {o for o in (origin_of(s.url.text) for s in analysis.plan.sites) if o}
        plan = analysis.plan
        inputs: _Env = {i.name.name: (i.default, {}, i.name.name) for i in plan.inputs if i.default is not None}
        seen: set[tuple[int, int, str]] = set()
        for define in plan.defines:  # its parameters are unknown here (a call's arguments are checked below)
            yield from self._block(define.actions or (), {}, allowed, seen)
        for step in plan.steps:
            env = dict(inputs)
            if step.loop is not None:  # the loop variable takes each item of the list
                env[step.loop.var.name] = (step.loop.iterable, inputs, step.loop.var.name)
            yield from self._block(step.actions or (), env, allowed, seen)
            proc = analysis.procedures.get(step.call.name.name) if step.call is not None else None
            if proc is not None:
                # only what the arguments bring: the procedure's own URLs are checked where it is written
                env = _arguments(step.call, proc.define, env)
                yield from self._block(proc.define.actions or (), env, allowed, seen, call=step.call)

    def _block(
        self, actions, env: _Env, allowed: set[str], seen: set, call: ast.Call | None = None
    ) -> Iterator[Diagnostic]:
        for action in actions:
            if not (isinstance(action, ast.Goto) and action.site is None or isinstance(action, ast.TabOpen)):
                continue
            if action.url is None:
                continue
            for text, span, via in _texts(action.url, env):
                o = origin_of(text)
                key = (span.line, span.column, o or text)
                if o in allowed or key in seen or (call is not None and via is None):
                    continue
                seen.add(key)
                if call is not None:
                    where = f" (the value of `{via}`, opened by `{call.name.name}` on line {call.span.line})"
                else:
                    where = f" (the value of `{via}`, opened on line {action.span.line})" if via else ""
                if o is None:
                    yield Diagnostic(
                        code=self.code,
                        message=f"`{text}`{where} is not an absolute http(s) URL",
                        span=span,
                        help='navigate on a declared site: `goto shop "/path"`',
                    )
                else:
                    yield Diagnostic(
                        code=self.code,
                        message=f"navigation to {o}{where}, which no `site` declares",
                        span=span,
                        help=f'declare it: `site name = "{o}"`',
                    )


# A name bound to a value written in the plan: (expression, the names it may read, the name shown).
_Env = dict[str, tuple[object, dict, str]]
# What _texts yields: (a URL as written, where it is written, the variable it came through).
_Texts = Iterator[tuple[str, ast.Span, str | None]]


def _texts(expr: object, env: _Env, via: str | None = None) -> _Texts:
    """The URLs an expression can be that the plan writes out: a string, an input's default, a
    loop variable over a list of them, an argument; with where each is written and the variable
    it came through.  A string that starts with a variable takes that variable's values as its
    start; anything known only at run time (an output, a parameter, a field) yields nothing.
    """
    return _TEXTS.visit(expr, env, via)


class _WrittenTexts(ExprVisitor):
    """:func:`_texts`; an expression of any other kind can be no URL written out."""

    def visit_StringLit(self, expr: ast.StringLit, env: _Env, via: str | None) -> _Texts:
        head = expr.parts[0] if expr.parts else ""
        if not isinstance(head, ast.Ref):
            yield expr.text, expr.span, via
            return
        rest = expr.model_copy(update={"parts": expr.parts[1:]}).text
        for text, span, name in self.visit(head, env, via):
            yield text + rest, span, name

    def visit_Ref(self, expr: ast.Ref, env: _Env, via: str | None) -> _Texts:
        if not expr.fields and expr.name in env:
            value, scope, name = env[expr.name]
            yield from self.visit(value, scope, via or name)

    def visit_ListLit(self, expr: ast.ListLit, env: _Env, via: str | None) -> _Texts:
        for item in expr.items:
            yield from self.visit(item, env, via)

    def generic_visit(self, expr: object, env: _Env, via: str | None) -> _Texts:
        return iter(())


_TEXTS = _WrittenTexts()


def _arguments(call: ast.Call, define: ast.Define, env: _Env) -> _Env:
    """A procedure's parameters bound to the arguments of one call (PA302 reports bad calls)."""
    bound: _Env = {}
    names = [p.name.name for p in define.params]
    for i, arg in enumerate(call.args):
        name = arg.name.name if arg.name is not None else (names[i] if i < len(names) else None)
        if name in names and name not in bound:
            bound[name] = (arg.value, env, name)
    return bound
