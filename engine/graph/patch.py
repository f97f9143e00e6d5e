"""Apply a :class:`~planact.graph.diff.PlanDiff` to a live :class:`PlanGraph` in place.

Untouched steps keep their node (the same attribute dict, status and result);
only inserted, removed and updated steps — and the steps whose implicit
predecessor changed — are touched, so the cost grows with the change, not with
the plan.  Steps that ran (or are running, or failed) are immutable: a diff
that would change or remove one is refused as a whole with PA410.
"""

from __future__ import annotations

from ..check.deps import step_dependencies
from ..syntax.diagnostics import Diagnostic
from .build import PlanGraph
from .diff import Insert, PlanDiff, Remove, Update


class _StepIds:
    """``name in ids``: is the name a step of the graph (and not shadowed by an input)?"""

    def __init__(self, graph: PlanGraph, inputs: set[str]) -> None:
        self.graph, self.inputs = graph, inputs

    def __contains__(self, name: object) -> bool:
        return name in self.graph.nx and name not in self.inputs


def check_patch(graph: PlanGraph, diff: PlanDiff) -> list[Diagnostic]:
    """PA410 for every edit that would change or remove a step that is no longer pending."""
    problems = []
    for edit in diff.changed:
        if isinstance(edit, Insert):
            continue
        step = edit.old if isinstance(edit, Update) else edit.step
        name = step.id.name
        status = graph.status(name) if name in graph.nx else "pending"
        if status != "pending":
            verb = "change" if isinstance(edit, Update) else "remove"
            problems.append(Diagnostic(
                code="PA410", message=f"cannot {verb} step `{name}`: it is {status}",
                span=(edit.new if isinstance(edit, Update) else step).id.span,
                help="steps that ran are kept as they were; add a new step instead",
            ))  # fmt: skip
    return problems


def apply_patch(graph: PlanGraph, diff: PlanDiff) -> list[Diagnostic]:
    """Apply ``diff`` to ``graph`` in place and record the new revision; returns PA410 diagnostics (and applies nothing) if refused."""
    problems = check_patch(graph, diff)
    if problems:
        return problems
    revision = graph.revision + 1
    g = graph.nx
    inputs = {i.name.name for i in diff.new.inputs}
    ids = _StepIds(graph, inputs)
    touched: dict[str, str | None] = dict(diff.followers)  # step -> its previous step in the new plan
    for edit in diff.changed:
        if isinstance(edit, Remove):
            name = edit.step.id.name
            g.remove_node(name)
            del graph.position[name]
            graph.forget_reads(name)
    for edit in diff.changed:
        if isinstance(edit, Insert):
            name = edit.step.id.name
            g.add_node(name, step=edit.step, status="pending", result=None, revision=revision)
            graph.note_reads(name, edit.step)
            touched[name] = edit.previous
        elif isinstance(edit, Update):
            name = edit.new.id.name
            node = g.nodes[name]
            node["step"], node["revision"] = edit.new, revision
            graph.forget_reads(name)
            graph.note_reads(name, edit.new)
            touched[name] = edit.previous
    _place_new_and_moved(graph, diff)
    # in-edges of touched steps, and data edges into steps that read a newly inserted step
    for name, previous in touched.items():
        for pred in list(g.predecessors(name)):
            g.remove_edge(pred, name)
        for dep in step_dependencies(graph.step(name), previous, ids):
            g.add_edge(dep.on, name, kind=dep.kind)
    # a step that kept its text but reads a name that became a step gains a data edge
    inserted = {e.step.id.name for e in diff.changed if isinstance(e, Insert)}
    for name in graph.readers(inserted) - touched.keys():
        for dep in step_dependencies(graph.step(name), None, ids):
            if dep.kind == "data" and dep.on in inserted:
                g.add_edge(dep.on, name, kind="data")
    graph.header = diff.new.model_copy(update={"steps": ()})
    graph.revisions.append(diff.new)
    return []


def _place_new_and_moved(graph: PlanGraph, diff: PlanDiff) -> None:
    """Sort keys for inserted and moved steps, spread between their stable neighbours."""
    groups: dict[tuple[str | None, str | None], list[str]] = {}
    for name, anchor in diff.anchors.items():
        groups.setdefault(anchor, []).append(name)
    order = {
        e.step.id.name if isinstance(e, Insert) else e.new.id.name: i
        for i, e in enumerate(diff.changed)
        if not isinstance(e, Remove)
    }
    pos = graph.position
    for (low, high), names in groups.items():
        names.sort(key=order.__getitem__)
        _spread(pos, names, pos[low] if low is not None else None, pos[high] if high is not None else None)


def _spread(pos: dict[str, float], names: list[str], low: float | None, high: float | None) -> None:
    """Sort keys for ``names``, in order, strictly between ``low`` and ``high``."""
    if not names:
        return
    if low is None and high is None:
        low, high = -1.0, float(len(names))
    elif low is None:
        low = high - len(names) - 1  # type: ignore[operator]
    elif high is None:
        high = low + len(names) + 1
    step = (high - low) / (len(names) + 1)  # type: ignore[operator]
    for i, name in enumerate(names, start=1):
        pos[name] = low + step * i  # type: ignore[operator]
