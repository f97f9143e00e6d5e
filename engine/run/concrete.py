"""An action with its values written in: what a trajectory records of a run.

A plan's action names its variables (``fill searchbox "Search" with query``);
a trajectory says what was actually done (``fill searchbox "Search" with
"wireless mouse"``), so that a plan rebuilt from it needs none of the run's
inputs or outputs.  Two things stay by name: secrets (their values never reach
a record) and the built-in ``page`` (read when the action runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..lang.evaluate import EvaluationError, Secret, lookup, show
from ..syntax import ast
from ..syntax.visitor import ExprVisitor


def concrete(action: ast.Action, scope: Mapping[str, Any], inputs: Mapping[str, Any] | None = None) -> ast.Action:
    """``action`` with every variable it reads replaced by its value in ``scope`` (see the module note).

    A secret is named as the plan's input that holds it (``inputs``): inside a
    procedure it has the parameter's name, which a trajectory does not know.
    """
    owners = {v: k for k, v in (inputs or {}).items() if isinstance(v, Secret)}
    scope = {**scope, _OWNERS: owners}
    update: dict[str, Any] = {}
    for name in action._target_fields:
        target = getattr(action, name)
        if target is not None:
            update[name] = _target(target, scope)
    for name in action._expr_fields:
        value = getattr(action, name)
        if value is not None:
            update[name] = _CONCRETE.visit(value, scope)
    return action.model_copy(update=update)


def _target(target: ast.Target, scope: Mapping[str, Any]) -> ast.Target:
    return target.model_copy(
        update={
            "name": None if target.name is None else fill_in(target.name, scope),
            "within": None if target.within is None else _target(target.within, scope),
        }
    )


_OWNERS = " secret owners"  # not a name of the language: cannot collide with a variable


def _kept(ref: ast.Ref, scope: Mapping[str, Any]) -> Any:
    """The value of ``ref``; a Ref when it stays by name (page, a secret, a name the scope lacks)."""
    if ref.name == "page":
        return ref
    try:
        value = lookup(ref, scope)
    except EvaluationError:
        return ref
    if isinstance(value, Secret):
        owner = scope[_OWNERS].get(value)
        return ref if owner is None else ast.Ref(name=owner, span=ref.span)
    return value


def fill_in(s: ast.StringLit, scope: Mapping[str, Any]) -> ast.StringLit:
    """The string with the values of its interpolations written in (secrets and unknown names stay)."""
    scope = scope if _OWNERS in scope else {**scope, _OWNERS: {}}
    parts: list[str | ast.Ref] = []
    for part in s.parts:
        if isinstance(part, ast.Ref):
            value = _kept(part, scope)
            part = value if isinstance(value, ast.Ref) else show(value)
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part
        else:
            parts.append(part)
    return s.model_copy(update={"parts": tuple(parts)})


class _Concrete(ExprVisitor, exhaustive=True):
    """An expression with the values of the variables it reads written in (see :func:`_kept`)."""

    def visit_StringLit(self, e: ast.StringLit, scope: Mapping[str, Any]) -> ast.StringLit:
        return fill_in(e, scope)

    def visit_Ref(self, e: ast.Ref, scope: Mapping[str, Any]) -> Any:
        value = _kept(e, scope)
        return value if isinstance(value, ast.Ref) else literal(value, e.span)

    def visit_NumberLit(self, e: ast.NumberLit, scope: Mapping[str, Any]) -> ast.NumberLit:
        return e

    def visit_BoolLit(self, e: ast.BoolLit, scope: Mapping[str, Any]) -> ast.BoolLit:
        return e

    def visit_ListLit(self, e: ast.ListLit, scope: Mapping[str, Any]) -> ast.ListLit:
        return e.model_copy(update={"items": tuple(self.visit(i, scope) for i in e.items)})

    def visit_Compare(self, e: ast.Compare, scope: Mapping[str, Any]) -> ast.Compare:
        return e.model_copy(update={"left": self.visit(e.left, scope), "right": self.visit(e.right, scope)})

    def visit_And(self, e: ast.And, scope: Mapping[str, Any]) -> ast.And:
        return e.model_copy(update={"items": tuple(self.visit(i, scope) for i in e.items)})

    def visit_Or(self, e: ast.Or, scope: Mapping[str, Any]) -> ast.Or:
        return e.model_copy(update={"items": tuple(self.visit(i, scope) for i in e.items)})

    def visit_Not(self, e: ast.Not, scope: Mapping[str, Any]) -> ast.Not:
        return e.model_copy(update={"operand": self.visit(e.operand, scope)})


_CONCRETE = _Concrete()


def literal(value: Any, span: ast.Span = ast.NO_SPAN) -> Any:
    """A value as a literal of the language (a record, which has no literal, as its text)."""
    if isinstance(value, bool):
        return ast.BoolLit(value=value, span=span)
    if isinstance(value, (int, float)):
        return ast.NumberLit(value=value, span=span)
    if isinstance(value, list):
        return ast.ListLit(items=tuple(literal(v) for v in value), span=span)
    return ast.StringLit(parts=(show(value),), span=span)
