"""In-place patching: the patched graph equals a rebuilt one, untouched nodes keep their identity."""

import random

import pytest
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


def assert_same_as_rebuilt(graph, plan):
    rebuilt = build_graph(plan)
    assert graph.ids() == rebuilt.ids()
    assert {n: graph.step(n) for n in graph.nx} == {n: rebuilt.step(n) for n in rebuilt.nx}
    assert edges(graph) == edges(rebuilt)
    assert graph.to_plan() == plan


def test_revision_numbers_follow_each_other():
    plans = [parse(f'plan "p"\nstep a "A"\nstep b "B{i}"\n') for i in range(3)]
    graph = build_graph(plans[0])
    assert apply_patch(graph, diff_plans(plans[0], plans[1]), 1) == []
    with pytest.raises(ValueError, match="use 2"):
        apply_patch(graph, diff_plans(plans[1], plans[2]), 5)
    assert apply_patch(graph, diff_plans(plans[1], plans[2])) == []
    assert graph.revisions == plans and graph.revision == 2
    assert graph.nx.nodes["b"]["revision"] == 2 and graph.nx.nodes["a"]["revision"] == 0


def test_failed_steps_are_refused_and_skipped_steps_may_change():
    old = parse('plan "p"\nstep a "A"\nstep b "B" if false\nstep c "C"\n')
    new = parse('plan "p"\nstep a "A"\nstep b "B again" if true\nstep c "C"\n')
    graph = build_graph(old)
    graph.mark("b", "skipped")
    assert apply_patch(graph, diff_plans(old, new)) == []
    assert graph.status("b") == "pending"  # its new version has not been considered yet
    graph.mark("b", "failed")
    newer = parse('plan "p"\nstep a "A"\nstep c "C"\n')
    (problem,) = apply_patch(graph, diff_plans(new, newer))
    assert problem.code == "PA410" and "`b`" in problem.message and graph.to_plan() == new


def test_inserted_step_gains_the_edges_of_steps_that_named_or_read_it():
    old = parse('plan "p"\nstep a "A"\nstep b "B" after x\nstep c "C"\nstep d "D {x}"\n')
    new = parse('plan "p"\nstep a "A"\nstep b "B" after x\nstep c "C"\nstep d "D {x}"\nstep x "X" -> text after a\n')
    graph = build_graph(old)
    diff = diff_plans(old, new)
    assert [type(e).__name__ for e in diff.changed] == ["Insert"]
    assert apply_patch(graph, diff) == []
    assert ("x", "b", "order") in edges(graph) and ("x", "d", "data") in edges(graph)
    assert_same_as_rebuilt(graph, new)


def test_an_input_that_starts_shadowing_a_step_changes_its_readers():
    old = parse('plan "p"\nstep x "X" -> number\nstep y "Y"\nstep z "Z" if x > 1\n')
    new = parse('plan "p"\ninput x: number\nstep x "X" -> number\nstep y "Y"\nstep z "Z" if x > 1\n')
    graph = build_graph(old)
    assert ("x", "z", "data") in edges(graph)
    assert apply_patch(graph, diff_plans(old, new)) == []
    assert_same_as_rebuilt(graph, new)
    assert apply_patch(graph, diff_plans(new, old)) == []
    assert_same_as_rebuilt(graph, old)


def test_many_insertions_at_one_place_keep_the_source_order():
    ids = ["s", "a", "z"]
    plans = [parse(random_plan(random.Random(0), ids))]
    graph = build_graph(plans[0])
    for i in range(80):  # each new step goes right after `a`: the gap halves until the floats run out
        ids.insert(2, f"n{i}")
        plans.append(parse(random_plan(random.Random(0), ids)))
        assert apply_patch(graph, diff_plans(plans[-2], plans[-1])) == []
    assert graph.ids() == ids
    assert_same_as_rebuilt(graph, plans[-1])


def test_moves_inserts_and_removes_together():
    old = parse('plan "p"\nstep a "A"\nstep b "B"\nstep c "C {a}"\nstep d "D" after b\nstep e "E"\n')
    new = parse('plan "p"\nstep e "E"\nstep b "B"\nstep n "N" -> number\nstep c "C {a} {n}"\nstep a "A"\n')
    graph = build_graph(old)
    graph.mark("a", "skipped")
    nodes_before = {n: graph.nx.nodes[n] for n in graph.nx}
    assert apply_patch(graph, diff_plans(old, new)) == []
    assert_same_as_rebuilt(graph, new)
    assert all(graph.nx.nodes[n] is nodes_before[n] for n in graph.nx if n in nodes_before)


def messy_plan(rng: random.Random, ids: list[str], pool: list[str]) -> str:
    """Plans a linter would complain about: inputs named like steps, `after` and reads of missing steps, loops."""
    lines = ['plan "messy"'] + [f"input {name}: number" for name in pool if rng.random() < 0.1]
    for name in ids:
        clause = ""
        if rng.random() < 0.3:
            clause += " after " + ", ".join(rng.sample(pool, k=rng.randint(1, 2)))
        if rng.random() < 0.2:
            clause += f" for {rng.choice(pool)} in [1, 2]"
        if rng.random() < 0.3:
            clause += f" if {rng.choice(pool)} > 1"
        reads = " ".join(f"{{{rng.choice(pool)}}}" for _ in range(rng.randint(0, 2)))
        lines.append(f'step {name} "Do {reads}" -> number{clause}')
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32))
def test_revision_chains_of_messy_plans_equal_rebuilt_graphs(seed):
    rng = random.Random(seed)
    pool = [f"s{i}" for i in range(10)]
    ids = rng.sample(pool, k=rng.randint(0, 8))
    plans = [parse(messy_plan(rng, ids, pool))]
    graph = build_graph(plans[0])
    for revision in range(1, 4):
        ids = [n for n in mutate(rng, ids) if n.startswith("s")] + [n for n in pool if n not in ids][:1]
        if rng.random() < 0.2:
            rng.shuffle(ids)
        plans.append(parse(messy_plan(rng, ids, pool)))
        kept_nodes = {n: graph.nx.nodes[n] for n in graph.nx}
        diff = diff_plans(plans[-2], plans[-1])
        assert apply_patch(graph, diff, revision) == []
        assert_same_as_rebuilt(graph, plans[-1])
        kept = {e.step.id.name for e in diff.edits if type(e).__name__ == "Keep"}
        assert all(graph.nx.nodes[n] is kept_nodes[n] for n in kept)
    assert graph.revisions == plans
