"""Evaluate the expressions of a plan (conditions, interpolations, values) against run-time variables.

Variables are plain Python values: ``str`` for text and url, ``float``/``int``
for numbers, ``bool``, ``list`` and ``dict`` (records).  A :class:`Secret`
wraps a secret so that it is never turned into text by accident: it prints as
``***`` and only :meth:`Secret.reveal` gives the value (to ``fill`` it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..syntax import ast
from ..syntax.visitor import ExprVisitor


class Secret:
    """A secret value: masked in every text, revealed only where it is typed into a page."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "***"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class EvaluationError(Exception):
    """An expression could not be evaluated (a missing variable, a value of the wrong kind)."""


def lookup(ref: ast.Ref, variables: Mapping[str, Any]) -> Any:
    if ref.name not in variables:
        raise EvaluationError(f"`{ref.name}` has no value yet")
    value = variables[ref.name]
    for name in ref.fields:
        if not isinstance(value, Mapping) or name not in value:
            raise EvaluationError(f"`{ref.dotted}`: no field `{name}`")
        value = value[name]
    return value


def show(value: Any) -> str:
    """A value as it appears when interpolated into text (numbers without a needless `.0`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    return str(value)


def interpolate(s: ast.StringLit, variables: Mapping[str, Any]) -> str:
    """A string with its ``{var}`` parts filled in (secrets show as ``***``)."""
    return "".join(p if isinstance(p, str) else show(lookup(p, variables)) for p in s.parts)


def evaluate(e: object, variables: Mapping[str, Any]) -> Any:
    """The value of an expression."""
    return _EVALUATOR.visit(e, variables)


class _Evaluator(ExprVisitor, exhaustive=True):
    def visit_StringLit(self, e: ast.StringLit, variables: Mapping[str, Any]) -> str:
        return interpolate(e, variables)

    def visit_NumberLit(self, e: ast.NumberLit, variables: Mapping[str, Any]) -> int | float:
        return e.value

    def visit_BoolLit(self, e: ast.BoolLit, variables: Mapping[str, Any]) -> bool:
        return e.value

    def visit_Ref(self, e: ast.Ref, variables: Mapping[str, Any]) -> Any:
        return lookup(e, variables)

    def visit_ListLit(self, e: ast.ListLit, variables: Mapping[str, Any]) -> list[Any]:
        return [self.visit(i, variables) for i in e.items]

    def visit_Not(self, e: ast.Not, variables: Mapping[str, Any]) -> bool:
        return not _truth(self.visit(e.operand, variables))

    def visit_And(self, e: ast.And, variables: Mapping[str, Any]) -> bool:
        return all(_truth(self.visit(i, variables)) for i in e.items)

    def visit_Or(self, e: ast.Or, variables: Mapping[str, Any]) -> bool:
        return any(_truth(self.visit(i, variables)) for i in e.items)

    def visit_Compare(self, e: ast.Compare, variables: Mapping[str, Any]) -> bool:
        return _compare(e.op, self.visit(e.left, variables), self.visit(e.right, variables))

    def generic_visit(self, e: object, variables: Mapping[str, Any]) -> Any:
        raise EvaluationError(f"not an expression: {e!r}")


_EVALUATOR = _Evaluator()


def _truth(value: Any) -> bool:
    if not isinstance(value, bool):
        raise EvaluationError(f"expected true or false, got {show(value)!r}")
    return value


def _compare(op: str, a: Any, b: Any) -> bool:
    try:
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if op in ("<", "<=", ">", ">="):
            a, b = float(a), float(b)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op == "contains":
            return b in a if isinstance(a, list) else str(b).lower() in str(a).lower()
        if op == "matches":
            return re.search(str(b), str(a)) is not None
    except (TypeError, ValueError, re.error) as err:
        raise EvaluationError(f"cannot evaluate {show(a)!r} {op} {show(b)!r}: {err}") from None
    raise EvaluationError(f"unknown operator {op}")
