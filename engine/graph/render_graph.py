"""Rendering a step graph: Graphviz dot, Mermaid or JSON (deterministic: source order throughout).
A plan diff is rendered by :mod:`planact.graph.render_diff`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..syntax.format import format_type

if TYPE_CHECKING:  # build.py imports this module for PlanGraph.to_dot and friends
    from .build import PlanGraph

_EDGE_STYLE = {"order": "solid", "sequence": "dotted", "data": "dashed"}


def _label(graph: PlanGraph, step_id: str) -> str:
    step = graph.step(step_id)
    intent = step.intent.text if step.intent is not None else (f"{step.call.name.name}(...)" if step.call else "")
    return f"{step_id}: {intent}" if intent else step_id


def _edges(graph: PlanGraph) -> list[tuple[str, str, str]]:
    pos = graph.position
    return sorted(((u, v, d["kind"]) for u, v, d in graph.nx.edges(data=True)), key=lambda e: (pos[e[1]], pos[e[0]]))


def to_json(graph: PlanGraph) -> dict[str, Any]:
    """A JSON-ready dict of the graph.

    Nodes in source order (id, intent, status, output type, grounded, whether it
    has a condition or a loop, revision) and edges (from, to, kind).
    """
    nodes = []
    for n in graph.ids():
        step = graph.step(n)
        nodes.append({
            "id": n, "intent": step.intent.text if step.intent is not None else None,
            "status": graph.status(n), "output": format_type(step.output) if step.output is not None else None,
            "grounded": step.grounded, "condition": step.condition is not None, "loop": step.loop is not None,
            "revision": graph.nx.nodes[n]["revision"],
        })  # fmt: skip
    return {
        "title": graph.header.title.text,
        "nodes": nodes,
        "edges": [{"from": u, "to": v, "kind": k} for u, v, k in _edges(graph)],
    }


def to_dot(graph: PlanGraph) -> str:
    """Graphviz dot: solid edges for `after`, dotted for sequence, dashed for data; ungrounded steps dashed."""
    lines = ["digraph plan {", "  rankdir=TB;", '  node [shape=box, style=rounded, fontname="Helvetica"];']
    for n in graph.ids():
        shape = ', style="rounded,dashed"' if not graph.step(n).grounded else ""
        lines.append(f"  {json.dumps(n)} [label={json.dumps(_label(graph, n), ensure_ascii=False)}{shape}];")
    for u, v, kind in _edges(graph):
        lines.append(f"  {json.dumps(u)} -> {json.dumps(v)} [style={_EDGE_STYLE[kind]}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(step_id: str) -> str:
    """The step id as a Mermaid node id (``end`` is a Mermaid keyword, so it gets a trailing ``_``)."""
    return f"{step_id}_" if step_id.lower() == "end" else step_id


def to_mermaid(graph: PlanGraph) -> str:
    """Mermaid flowchart: `-->` for `after` and sequence, `-.->` for data."""
    lines = ["flowchart TD"]
    for n in graph.ids():
        text = _label(graph, n).replace('"', "#quot;")
        lines.append(f'    {_mermaid_id(n)}["{text}"]')
    for u, v, kind in _edges(graph):
        lines.append(f"    {_mermaid_id(u)} {'-.->' if kind == 'data' else '-->'} {_mermaid_id(v)}")
    return "\n".join(lines) + "\n"
