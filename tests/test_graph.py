"""The step graph: nodes, edges, ready set, order and renderings."""

import json

import networkx as nx
import pytest

from planact import parse
from planact.graph import build_graph

PLAN = parse("""plan "branches"
input q: text
step search "Search {q}"
step price "Read price" -> number after search
step stock "Read stock" -> number after search
step add "Add" after price, stock if price < 10 and stock > 0
step report "Report {price}"
""")


def edges(g):
    return sorted((u, v, d["kind"]) for u, v, d in g.nx.edges(data=True))


def test_nodes_and_edges():
    g = build_graph(PLAN)
    assert isinstance(g.nx, nx.DiGraph)
    assert g.ids() == ["search", "price", "stock", "add", "report"]
    assert g.nx.nodes["price"]["step"] is PLAN.steps[1] and g.nx.nodes["price"]["status"] == "pending"
    assert edges(g) == [
        ("add", "report", "sequence"), ("price", "add", "order"), ("price", "report", "data"),
        ("search", "price", "order"), ("search", "stock", "order"), ("stock", "add", "order"),
    ]  # fmt: skip


def test_ready_set_follows_statuses():
    g = build_graph(PLAN)
    assert g.ready() == ["search"]
    g.mark("search", "done")
    assert g.ready() == ["price", "stock"]  # independent branches: both ready
    g.mark("price", "done", 9.5)
    g.mark("stock", "skipped")
    assert g.ready() == ["add"] and g.nx.nodes["price"]["result"] == 9.5


def test_topological_order_breaks_ties_by_source_order():
    assert build_graph(PLAN).order() == ["search", "price", "stock", "add", "report"]


def test_cycles_are_found_and_order_refuses_them():
    g = build_graph(parse('plan "c"\nstep a "A" after b\nstep b "B" after a\nstep c "C"\n'))
    assert g.cycles() == [["a", "b"]]
    with pytest.raises(nx.NetworkXUnfeasible):
        g.order()


def test_to_plan_gives_back_the_plan():
    assert build_graph(PLAN).to_plan() == PLAN


def test_renderings_are_deterministic_and_complete():
    g = build_graph(PLAN)
    dot, mermaid, data = g.to_dot(), g.to_mermaid(), g.to_json()
    assert json.loads(json.dumps(data)) == data
    assert (
        dot == build_graph(PLAN).to_dot()
        and data == build_graph(PLAN).to_json()
        and '"price" -> "report" [style=dashed];' in dot
    )
    assert mermaid.startswith("flowchart TD") and "price -.-> report" in mermaid and "search --> stock" in mermaid
    assert [n["id"] for n in data["nodes"]] == g.ids() and {"from": "stock", "to": "add", "kind": "order"} in data[
        "edges"
    ]
    assert data["nodes"][1]["output"] == "number"


def test_renderings_quote_what_their_languages_need():
    g = build_graph(parse('plan "q"\nstep end "Café \\"crème\\""\nstep b "B {end}"\n'))
    assert '"end" [label="end: Café \\"crème\\"", style="rounded,dashed"];' in g.to_dot()
    mermaid = g.to_mermaid()
    assert 'end_["end: Café #quot;crème#quot;"]' in mermaid and "end_ --> b" in mermaid


def test_mark_refuses_unknown_statuses():
    g = build_graph(PLAN)
    with pytest.raises(ValueError, match="unknown status 'finished'"):
        g.mark("search", "finished")  # type: ignore[arg-type]
