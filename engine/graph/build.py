"""The step graph: typed steps keyed by stable ids, indexed by a networkx DiGraph.

The :class:`~planact.syntax.ast.Step` objects are the source of truth; the
DiGraph holds one node per step id (attributes ``step``, ``status``,
``result``, ``revision``) and one edge per dependency (attribute ``kind``:
``order`` for ``after``, ``sequence`` for the implicit "follows the step
written before it", ``data`` for reading another step's output).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import networkx as nx

from ..lang.deps import step_dependencies, step_refs
from ..syntax import ast
from . import render_graph

Status = Literal["pending", "running", "done", "failed", "skipped"]
STATUSES: tuple[str, ...] = get_args(Status)
FINISHED: frozenset[str] = frozenset({"done", "skipped"})  # a step waiting on these may start


class PlanGraph:
    """A plan as a live graph of steps.

    ``nx`` is the networkx index (see the module docstring); ``header`` keeps
    the plan-level parts (title, goal, uses, sites, inputs, procedures,
    comments); ``position`` maps each step id to a sort key giving its source
    order; ``revisions[r]`` is the whole plan of revision ``r`` (0: the plan
    the graph was built from).  A repeated step id (PA202) keeps its first step.
    """

    def __init__(self, plan: ast.Plan) -> None:
        self.nx = nx.DiGraph()
        self.header = plan.model_copy(update={"steps": ()})
        self.position: dict[str, float] = {}
        self.revisions: list[ast.Plan] = [plan]
        self.reads: dict[str, set[str]] = {}  # name -> steps that read it or name it in `after`
        self._read_by: dict[str, set[str]] = {}  # step -> the names it reads or names
        ids = {s.id.name for s in plan.steps} - {i.name.name for i in plan.inputs}
        kept: list[tuple[ast.Step, list[ast.Ref]]] = []
        for index, step in enumerate(plan.steps):
            name = step.id.name
            if name in self.position:  # a repeated id (PA202): the first one wins
                continue
            self.nx.add_node(name, step=step, status="pending", result=None, revision=0)
            self.position[name] = float(index)
            kept.append((step, self.note_reads(name, step)))
        previous = None
        for step, refs in kept:
            for dep in step_dependencies(step, previous, ids, refs):
                self.nx.add_edge(dep.on, step.id.name, kind=dep.kind)
            previous = step.id.name

    # ------------------------------------------------------------ reads index

    def note_reads(self, step_id: str, step: ast.Step) -> list[ast.Ref]:
        """Index the names a step reads or names in ``after``; returns its references.

        A patch uses the index to find the steps that depend on a newly
        inserted step without a scan of the plan.
        """
        refs = list(step_refs(step))
        names = {ref.name for ref in refs}
        names.update(ident.name for ident in step.after)
        self._read_by[step_id] = names
        for name in names:
            self.reads.setdefault(name, set()).add(step_id)
        return refs

    def forget_reads(self, step_id: str) -> None:
        """Drop a step from the reads index (before it is removed or replaced)."""
        for name in self._read_by.pop(step_id, ()):
            readers = self.reads.get(name)
            if readers is not None:
                readers.discard(step_id)

    def readers(self, names: set[str]) -> set[str]:
        """Steps that read any of ``names`` (or name one in ``after``)."""
        return set().union(*(self.reads.get(n, set()) for n in names)) if names else set()

    # ------------------------------------------------------------ queries

    def renumber(self, step_ids: list[str]) -> None:
        """Reset the sort keys to 0, 1, 2, ... in the order of ``step_ids`` (every step of the graph)."""
        self.position = {name: float(index) for index, name in enumerate(step_ids)}

    @property
    def revision(self) -> int:
        """The number of the latest revision (0 until a patch is applied)."""
        return len(self.revisions) - 1

    def ids(self) -> list[str]:
        """Step ids in source order."""
        return sorted(self.position, key=self.position.__getitem__)

    def step(self, step_id: str) -> ast.Step:
        """The step with this id."""
        return self.nx.nodes[step_id]["step"]

    def status(self, step_id: str) -> Status:
        """The step's run status."""
        return self.nx.nodes[step_id]["status"]

    def mark(self, step_id: str, status: Status, result: object = None) -> None:
        """Record a step's new status (and result, when given)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
        node = self.nx.nodes[step_id]
        node["status"] = status
        if result is not None:
            node["result"] = result

    def replace_step(self, step_id: str, step: ast.Step) -> None:
        """Put ``step`` in the place of the step with this id, its status, result and edges kept (a step whose
        actions a model wrote, written back)."""
        self.nx.nodes[step_id]["step"] = step

    def add_step(self, step: ast.Step, revision: int) -> None:
        """A new pending step of plan revision ``revision``, with no edges yet (the patch places it)."""
        name = step.id.name
        self.nx.add_node(name, step=step, status="pending", result=None, revision=revision)
        self.note_reads(name, step)

    def revise_step(self, step: ast.Step, revision: int) -> None:
        """The step of the same id as ``step`` becomes it (a skipped one is pending again); its edges are the
        patch's to recompute."""
        name = step.id.name
        node = self.nx.nodes[name]
        node["step"], node["revision"] = step, revision
        if node["status"] == "skipped":
            node["status"], node["result"] = "pending", None
        self.forget_reads(name)
        self.note_reads(name, step)

    def remove_step(self, step_id: str) -> None:
        """The step and its edges leave the graph."""
        self.nx.remove_node(step_id)
        del self.position[step_id]
        self.forget_reads(step_id)

    def ready(self) -> list[str]:
        """Pending steps whose predecessors are all done or skipped, in source order."""
        nodes = self.nx.nodes
        found = [
            n for n in self.nx
            if nodes[n]["status"] == "pending" and all(nodes[p]["status"] in FINISHED for p in self.nx.predecessors(n))
        ]  # fmt: skip
        return sorted(found, key=self.position.__getitem__)

    def order(self) -> list[str]:
        """A topological order of the steps, ties broken by source order (raises on a cycle)."""
        return list(nx.lexicographical_topological_sort(self.nx, key=self.position.__getitem__))

    def cycles(self) -> list[list[str]]:
        """Groups of steps that depend on each other in a circle."""
        found = []
        for component in nx.strongly_connected_components(self.nx):
            first = next(iter(component))
            if len(component) > 1 or self.nx.has_edge(first, first):
                found.append(sorted(component, key=self.position.__getitem__))
        return sorted(found, key=lambda c: self.position[c[0]])

    def to_plan(self) -> ast.Plan:
        """The plan the graph holds now."""
        return self.header.model_copy(update={"steps": tuple(self.step(n) for n in self.ids())})

    # ------------------------------------------------------------ renderings

    def to_dot(self) -> str:
        """Graphviz dot source (see :func:`planact.graph.render_graph.to_dot`)."""
        return render_graph.to_dot(self)

    def to_mermaid(self) -> str:
        """A Mermaid flowchart (see :func:`planact.graph.render_graph.to_mermaid`)."""
        return render_graph.to_mermaid(self)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of nodes and edges (see :func:`planact.graph.render_graph.to_json`)."""
        return render_graph.to_json(self)


def build_graph(plan: ast.Plan) -> PlanGraph:
    """Index a plan's steps in a new :class:`PlanGraph`."""
    return PlanGraph(plan)
