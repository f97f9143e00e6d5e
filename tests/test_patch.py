"""In-place patching: the patched graph equals a rebuilt one, untouched nodes keep their identity."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from planact import parse
from planact.graph import apply_patch, build_graph, diff_plans
from planact.syntax.format import format_plan


def edges(g):
    return sorted((u, v, d["kind"]) for u, v, d in g.nx.edges(data=True))


def random_plan(rng: random.Random, ids: list[str]) -> str:
    lines = ['plan "random"', "input q: text"]
    for i, name in enumerate(ids):
        earlier = ids[:i]
        clause = ""
        if earlier and rng.random() < 0.3:
            clause += " after " + ", ".join(rng.sample(earlier, k=min(len(earlier), rng.randint(1, 2))))
        if earlier and rng.random() < 0.3:
            clause += f" if {rng.choice(earlier)} > {rng.randint(0, 9)}"
        text = rng.choice(["Open", "Read", "Click", "Check"]) + (
            f" {{{rng.choice(earlier)}}}" if earlier and rng.random() < 0.2 else ""
        )
        lines.append(f'step {name} "{text}" -> number{clause}')
    return "\n".join(lines) + "\n"


def mutate(rng: random.Random, ids: list[str]) -> list[str]:
    ids = list(ids)
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["insert", "remove", "move"])
        if kind == "insert":
            ids.insert(rng.randint(0, len(ids)), f"n{rng.randint(0, 10**6)}")
        elif kind == "remove" and ids:
            ids.pop(rng.randrange(len(ids)))
        elif kind == "move" and len(ids) > 1:
            ids.insert(rng.randint(0, len(ids) - 1), ids.pop(rng.randrange(len(ids))))
    return ids


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32))
def test_patched_graph_equals_rebuilt_graph(seed):
    rng = random.Random(seed)
    ids = [f"s{i}" for i in range(rng.randint(0, 12))]
    old = parse(random_plan(rng, ids))
    new_ids = mutate(rng, ids)
    new = parse(random_plan(random.Random(seed if rng.random() < 0.5 else seed + 1), new_ids))
    graph = build_graph(old)
    nodes_before = {n: graph.nx.nodes[n] for n in graph.nx}
    diff = diff_plans(old, new)
    assert apply_patch(graph, diff) == []
    rebuilt = build_graph(new)
    assert edges(graph) == edges(rebuilt)
    assert graph.ids() == rebuilt.ids()
    assert graph.to_plan() == new
    kept = {e.step.id.name for e in diff.edits if type(e).__name__ == "Keep"}
    assert all(graph.nx.nodes[n] is nodes_before[n] for n in kept)
    assert graph.revisions == [old, new]


def test_untouched_nodes_keep_identity_status_and_result():
    old = parse('plan "p"\nstep a "A" -> number\nstep b "B"\nstep c "C"\n')
    new = parse('plan "p"\nstep a "A" -> number\nstep b "B"\nstep c "C, better"\n')
    graph = build_graph(old)
    graph.mark("a", "done", 3)
    node_a, node_b = graph.nx.nodes["a"], graph.nx.nodes["b"]
    assert apply_patch(graph, diff_plans(old, new)) == []
    assert graph.nx.nodes["a"] is node_a and node_a["status"] == "done" and node_a["result"] == 3
    assert graph.nx.nodes["b"] is node_b
    assert graph.step("c").intent.text == "C, better" and graph.nx.nodes["c"]["revision"] == 1


def test_done_steps_cannot_change_and_nothing_is_applied():
    old = parse('plan "p"\nstep a "A"\nstep b "B"\nstep c "C"\n')
    new = parse('plan "p"\nstep a "A changed"\nstep c "C changed"\nstep d "D"\n')
    graph = build_graph(old)
    graph.mark("a", "done")
    graph.mark("b", "running")
    problems = apply_patch(graph, diff_plans(old, new))
    assert [(d.code, d.message) for d in problems] == [
        ("PA410", "cannot change step `a`: it is done"),
        ("PA410", "cannot remove step `b`: it is running"),
    ]
    assert graph.to_plan() == old and graph.revisions == [old]


def test_patching_costs_the_change_not_the_plan():
    """A one-step patch touches one node: every other node's attribute dict is the same object."""
    text = format_plan(parse(random_plan(random.Random(1), [f"s{i}" for i in range(300)])))
    old = parse(text)
    new = parse(text.replace('step s150 "', 'step s150 "Changed: '))
    graph = build_graph(old)
    before = {n: graph.nx.nodes[n] for n in graph.nx}
    diff = diff_plans(old, new)
    assert len(diff.changed) == 1
    apply_patch(graph, diff)
    assert sum(graph.nx.nodes[n] is not before[n] for n in graph.nx) == 0  # updated in place, even s150
    assert graph.nx.nodes["s150"]["revision"] == 1 and sum(graph.nx.nodes[n]["revision"] for n in graph.nx) == 1
