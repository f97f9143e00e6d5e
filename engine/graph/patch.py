"""Apply a :class:`~planact.graph.diff.PlanDiff` to a live :class:`PlanGraph` in place.

Untouched steps keep their node (the same attribute dict, status and result);
only inserted, removed and updated steps — and the steps whose implicit
predecessor changed, or that read or name (``after``) an inserted step — are
touched, so the cost grows with the change, not with the plan.  Steps that ran
(or are running, or failed) are immutable: a diff that would change or remove
one is refused as a whole with PA410, before anything is mutated.

The one exception to local work: when an ``input`` starts or stops shadowing a
step of the same name (a PA202 name clash), the edges of every step are
recomputed, since any step may read that name.
"""

from __future__ import annotations

from ..lang.deps import step_dependencies
from ..syntax.diagnostics import Diagnostic
from .build import PlanGraph
from .diff import Insert, PlanDiff, Remove, Update

IMMUTABLE: frozenset[str] = frozenset({"done", "running", "failed"})


class _StepIds:
    """``name in ids``: is the name a step of the graph (and not shadowed by an input)?"""

    def __init__(self, graph: PlanGraph, inputs: set[str]) -> None:
        self.graph, self.inputs = graph, inputs

    def __contains__(self, name: object) -> bool:
        return name in self.graph.nx and name not in self.inputs


def check_patch(graph: PlanGraph, diff: PlanDiff) -> list[Diagnostic]:
    """PA410 for every edit that would change or remove a step that is done, running or failed."""
    problems = []
    for edit in diff.changed:
        if isinstance(edit, Insert):
            continue
        step = edit.old if isinstance(edit, Update) else edit.step
        name = step.id.name
        status = graph.status(name) if name in graph.nx else "pending"
        if status in IMMUTABLE:
            verb = "change" if isinstance(edit, Update) else "remove"
            problems.append(Diagnostic(
                code="PA410", message=f"cannot {verb} step `{name}`: it is {status}",
                span=(edit.new if isinstance(edit, Update) else step).id.span,
                help="steps that ran are kept as they were; add a new step (with a new id) instead",
            ))  # fmt: skip
    return problems


def apply_patch(graph: PlanGraph, diff: PlanDiff, revision: int | None = None) -> list[Diagnostic]:
    """Apply ``diff`` (computed from the graph's current plan) to ``graph`` in place as a new revision.

    ``revision`` is the number of the new revision: the next one,
    ``graph.revision + 1`` (the default); ``graph.revisions[revision]`` is then
    ``diff.new``.  Inserted and changed steps get ``revision`` and status
    ``pending`` (a changed step that was skipped is pending again: its new
    version has not been considered yet).  Returns the PA410 diagnostics, and
    applies nothing, if the diff changes or removes a step that ran.
    """
    expected = graph.revision + 1
    if revision is None:
        revision = expected
    elif revision != expected:
        raise ValueError(f"revision {revision} cannot follow revision {graph.revision}: use {expected}")
    problems = check_patch(graph, diff)
    if problems:
        return problems
    g = graph.nx
    old_inputs = {i.name.name for i in graph.header.inputs}
    new_inputs = {i.name.name for i in diff.new.inputs}
    ids = _StepIds(graph, new_inputs)
    touched: dict[str, str | None] = dict(diff.followers)  # step -> the step before it in the new plan
    removed: set[str] = set()
    inserted: set[str] = set()
    for edit in diff.changed:
        if isinstance(edit, Remove):
            name = edit.step.id.name
            graph.remove_step(name)
            removed.add(name)
    for edit in diff.changed:
        if isinstance(edit, Insert):
            name = edit.step.id.name
            graph.add_step(edit.step, revision)
            touched[name] = edit.previous
            inserted.add(name)
        elif isinstance(edit, Update):
            name = edit.new.id.name
            graph.revise_step(edit.new, revision)
            touched[name] = edit.previous
    if not _place_new_and_moved(graph, diff):
        graph.renumber(_unique_ids(diff))
    shadowing = old_inputs ^ new_inputs
    if any(name in g or name in removed for name in shadowing):
        _recompute_all_edges(graph, ids)
    else:
        _recompute_edges(graph, ids, touched, inserted)
    graph.header = diff.new.model_copy(update={"steps": ()})
    graph.revisions.append(diff.new)
    return []


def _recompute_edges(graph: PlanGraph, ids: _StepIds, touched: dict[str, str | None], inserted: set[str]) -> None:
    """New in-edges for the touched steps, and edges into untouched steps that read or name an inserted one."""
    g = graph.nx
    for name, previous in touched.items():
        for pred in list(g.predecessors(name)):
            g.remove_edge(pred, name)
        for dep in step_dependencies(graph.step(name), previous, ids):
            g.add_edge(dep.on, name, kind=dep.kind)
    for name in graph.readers(inserted) - touched.keys():
        for dep in step_dependencies(graph.step(name), None, ids):
            if dep.on in inserted and dep.kind != "sequence":
                g.add_edge(dep.on, name, kind=dep.kind)


def _recompute_all_edges(graph: PlanGraph, ids: _StepIds) -> None:
    """Every step's in-edges again (only when an input starts or stops shadowing a step)."""
    g = graph.nx
    g.remove_edges_from(list(g.edges))
    previous = None
    for name in graph.ids():
        for dep in step_dependencies(graph.step(name), previous, ids):
            g.add_edge(dep.on, name, kind=dep.kind)
        previous = name


def _unique_ids(diff: PlanDiff) -> list[str]:
    """The new plan's step ids in order, each once (a repeated id keeps its first place)."""
    return list(dict.fromkeys(s.id.name for s in diff.new.steps))


def _place_new_and_moved(graph: PlanGraph, diff: PlanDiff) -> bool:
    """Sort keys for inserted and moved steps, spread between their stable neighbours.

    Returns False when the gap between two neighbours is too narrow for the
    floats (after very many insertions at one place): the caller renumbers.
    """
    groups: dict[tuple[str | None, str | None], list[str]] = {}
    for name, anchor in diff.anchors.items():
        groups.setdefault(anchor, []).append(name)
    order = {
        (e.new if isinstance(e, Update) else e.step).id.name: i
        for i, e in enumerate(diff.changed)
        if not isinstance(e, Remove)
    }
    pos = graph.position
    fits = True
    for (low, high), names in groups.items():
        names.sort(key=order.__getitem__)
        fits &= _spread(pos, names, pos[low] if low is not None else None, pos[high] if high is not None else None)
    return fits


def _spread(pos: dict[str, float], names: list[str], low: float | None, high: float | None) -> bool:
    """Sort keys for ``names``, in order, strictly between ``low`` and ``high``; False if they do not fit."""
    if not names:
        return True
    if low is None and high is None:
        low, high = -1.0, float(len(names))
    elif low is None:
        low = high - len(names) - 1  # type: ignore[operator]
    elif high is None:
        high = low + len(names) + 1
    gap = (high - low) / (len(names) + 1)  # type: ignore[operator]
    keys = [low + gap * i for i in range(1, len(names) + 1)]  # type: ignore[operator]
    for name, key in zip(names, keys, strict=True):
        pos[name] = key
    return all(a < b for a, b in zip([low, *keys], [*keys, high], strict=True))  # type: ignore[operator]
