"""The step graph as an inline SVG picture: one box per step coloured by its status, an arrow per dependency.

The graph is the run's own (:class:`planact.graph.PlanGraph` of its last revision), with the steps that
earlier revisions had and a later one removed added back, greyed, where they were.  Layers are
networkx's topological generations, so steps that may run at once (parallel branches) stand side by side.
Every box links to its step in the timeline (``#step-ID``).
"""

from __future__ import annotations

from html import escape

import networkx as nx

BOX_W, BOX_H, GAP_X, GAP_Y, PAD, ARC_ROOM = 210, 46, 28, 30, 12, 70

COLOURS = {  # status -> (fill, stroke)
    "done": ("#e6f4ea", "#1e8e3e"),
    "failed": ("#fce8e6", "#d93025"),
    "skipped": ("#f1f3f4", "#80868b"),
    "unfinished": ("#fef7e0", "#e37400"),
    "pending": ("#ffffff", "#9aa0a6"),
}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def union_graph(graph, revisions) -> nx.DiGraph:
    """The last revision's dependencies, and the steps that only earlier revisions had (each with the edges
    into it, so that it hangs from the steps it followed)."""
    from ..graph import build_graph

    g = nx.DiGraph()
    order: dict[str, float] = {}
    if graph is not None:
        for n in graph.ids():
            g.add_node(n, removed=False)
            order[n] = graph.position[n]
        g.add_edges_from((u, v, {"kind": d["kind"], "removed": False}) for u, v, d in graph.nx.edges(data=True))
    for rev in revisions:
        if rev.plan is None:
            continue
        try:
            old = build_graph(rev.plan)
        except Exception:  # an unbuildable revision draws nothing of its own
            continue
        for n in old.ids():
            if n not in g:
                g.add_node(n, removed=True)
                order[n] = old.position[n] - 0.5
        for u, v, d in old.nx.edges(data=True):  # a removed step hangs from what it followed: a dead branch
            if g.nodes[v]["removed"] and not g.nodes[u]["removed"] and not g.has_edge(u, v):
                g.add_edge(u, v, kind=d["kind"], removed=True)
    nx.set_node_attributes(g, order, "order")
    return g


def _layers(g: nx.DiGraph) -> list[list[str]]:
    key = g.nodes(data="order")
    try:
        layers = [sorted(layer, key=lambda n: key[n]) for layer in nx.topological_generations(g)]
    except nx.NetworkXUnfeasible:  # a cycle: one step a row, in plan order
        layers = [[n] for n in sorted(g, key=lambda n: key[n])]
    return layers


def step_graph_svg(graph, revisions, statuses: dict[str, str], intents: dict[str, str | None]) -> str:
    """The SVG element (no XML prolog) of the run's step graph; '' when there is no graph to draw."""
    g = union_graph(graph, revisions)
    if not g:
        return ""
    layers = _layers(g)
    widest = max(len(layer) for layer in layers)
    width = widest * BOX_W + (widest - 1) * GAP_X + 2 * PAD + ARC_ROOM
    height = len(layers) * BOX_H + (len(layers) - 1) * GAP_Y + 2 * PAD
    where: dict[str, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        span = len(layer) * BOX_W + (len(layer) - 1) * GAP_X
        left = (width - ARC_ROOM - span) / 2
        for col, n in enumerate(layer):
            where[n] = (left + col * (BOX_W + GAP_X), PAD + row * (BOX_H + GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="step graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5f6368"/></marker></defs>',
    ]
    for u, v, d in sorted(g.edges(data=True), key=lambda e: (where[e[1]][1], where[e[0]][0])):
        (x1, y1), (x2, y2) = where[u], where[v]
        rows = round((y2 - y1) / (BOX_H + GAP_Y))
        if rows <= 1:  # the next row: from the bottom of one box to the top of the other
            sx, sy, ex, ey = x1 + BOX_W / 2, y1 + BOX_H, x2 + BOX_W / 2, y2
            mid = (sy + ey) / 2
            path = f"M{sx:.1f},{sy:.1f} C{sx:.1f},{mid:.1f} {ex:.1f},{mid:.1f} {ex:.1f},{ey:.1f}"
        else:  # past the rows between: an arc on the right, wider the more rows it spans
            sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H / 2, x2 + BOX_W, y2 + BOX_H / 2
            reach = max(sx, ex) + min(ARC_ROOM - 6, 14 + 12 * rows)
            path = f"M{sx:.1f},{sy:.1f} C{reach:.1f},{sy:.1f} {reach:.1f},{ey:.1f} {ex:.1f},{ey:.1f}"
        dash = ' stroke-dasharray="5,4"' if d["kind"] == "data" else ""
        dash = ' stroke-dasharray="2,3"' if d["kind"] == "sequence" and not dash else dash
        colour = "#bdc1c6" if d.get("removed") else "#5f6368"
        parts.append(
            f'<path class="edge {escape(d["kind"])}" d="{path}" fill="none" stroke="{colour}" stroke-width="1.4"'
            f'{dash} marker-end="url(#arrow)"><title>{escape(u)} → {escape(v)} ({escape(d["kind"])})</title></path>'
        )
    for n in g:
        x, y = where[n]
        status = statuses.get(n, "pending")
        fill, stroke = COLOURS.get(status, COLOURS["pending"])
        removed = g.nodes[n]["removed"]
        dash = ' stroke-dasharray="4,3"' if removed else ""
        intent = intents.get(n) or ""
        label = f"{status}, removed by a revision" if removed else status
        parts.append(
            f'<a href="#step-{escape(n)}" class="node" data-step="{escape(n)}" data-status="{escape(status)}">'
            f"<title>{escape(n)}: {escape(intent)} ({escape(label)})</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="7" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{1.2 if removed else 2}"{dash} opacity="{0.65 if removed else 1}"/>'
            f'<text x="{x + 10:.1f}" y="{y + 18:.1f}" class="sid">{escape(_short(n, 22))}'
            f'<tspan class="st" fill="{stroke}"> · {escape(status)}</tspan></text>'
            f'<text x="{x + 10:.1f}" y="{y + 35:.1f}" class="sin">{escape(_short(intent, 27))}</text></a>'
        )
    parts.append("</svg>")
    return "".join(parts)
