"""What each step reads and which steps it must follow.

Order rules of the language:

* a step with an ``after`` clause follows exactly the steps it names;
* a step without one follows the step written before it (plans are sequences
  unless they say otherwise), so parallel branches are written with ``after``;
* on top of that, a step follows every step whose output it reads (a data
  dependency), wherever the reference is: intent, condition, loop, call
  arguments or actions.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from ..syntax import ast
from ..syntax.visitor import ExprVisitor

DependencyKind = Literal["order", "sequence", "data"]


@dataclass(frozen=True)
class Dependency:
    """``step`` must run after ``on``; ``span`` is where the plan says so."""

    step: str
    on: str
    kind: DependencyKind
    span: ast.Span


def expr_refs(expr: object) -> Iterator[ast.Ref]:
    """Every variable reference in an expression, string interpolations included."""
    refs: list[ast.Ref] = []
    _REFS.visit(expr, refs)
    yield from refs


class _RefCollector(ExprVisitor):
    """Appends each reference met to a list; every other expression is walked through."""

    def visit_Ref(self, e: ast.Ref, refs: list[ast.Ref]) -> None:
        refs.append(e)

    generic_visit = ExprVisitor.visit_children


_REFS = _RefCollector()


def target_refs(target: ast.Target | None) -> Iterator[ast.Ref]:
    while target is not None:
        if target.name is not None:
            yield from target.name.refs
        target = target.within


def action_refs(action: ast.Action) -> Iterator[ast.Ref]:
    """Every reference an action reads (its expressions and its targets' names)."""
    for e in action.exprs():
        yield from expr_refs(e)
    for t in action.targets():
        yield from target_refs(t)


def step_refs(step: ast.Step) -> Iterator[ast.Ref]:
    """Every reference a step reads, in source order of its parts."""
    if step.intent is not None:
        yield from step.intent.refs
    if step.loop is not None:
        yield from expr_refs(step.loop.iterable)
    if step.condition is not None:
        yield from expr_refs(step.condition)
    if step.call is not None:
        for arg in step.call.args:
            yield from expr_refs(arg.value)
    for action in step.actions or ():
        yield from action_refs(action)


def step_dependencies(
    step: ast.Step, previous: str | None, step_ids: Container[str], refs: Iterable[ast.Ref] | None = None
) -> list[Dependency]:
    """The dependencies of one step; ``previous`` is the id of the step written before it.

    ``refs`` may pass the step's references when the caller already has them.
    """
    me = step.id.name
    deps: list[Dependency] = []
    seen: set[str] = set()
    if step.after:
        for ident in step.after:
            if ident.name in step_ids and ident.name not in seen:
                seen.add(ident.name)
                deps.append(Dependency(me, ident.name, "order", ident.span))
    elif previous is not None and previous != me:  # (a repeated id is PA202, not a cycle)
        seen.add(previous)
        deps.append(Dependency(me, previous, "sequence", step.id.span))
    loop_var = step.loop.var.name if step.loop else None
    for ref in step_refs(step) if refs is None else refs:
        if ref.name in step_ids and ref.name != loop_var and ref.name not in seen:
            seen.add(ref.name)
            deps.append(Dependency(me, ref.name, "data", ref.span))
    return deps


def plan_dependencies(plan: ast.Plan) -> list[Dependency]:
    """All dependencies of a plan, step by step in source order.

    A repeated step id (PA202) is left out, as :class:`~planact.graph.build.PlanGraph`
    leaves it out: the first step of that id is the step, and a later one neither
    follows the step before it nor is followed by the next, so a duplicate never
    reads as a dependency cycle.
    """
    ids = {s.id.name for s in plan.steps} - {i.name.name for i in plan.inputs}  # an input wins a name clash (PA202)
    deps: list[Dependency] = []
    previous = None
    seen: set[str] = set()
    for step in plan.steps:
        if step.id.name in seen:
            continue
        seen.add(step.id.name)
        deps.extend(step_dependencies(step, previous, ids))
        previous = step.id.name
    return deps
