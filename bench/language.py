"""Benchmark of the language layer: parse + check + graph, and in-place patching.

Prints, for generated plans of 100, 1,000 and 10,000 steps, the median time of
parse + check + build_graph; and for a 1,000-step plan, the ratio of
rebuilding its graph to applying a one-step patch in place (the baseline,
rebuilding, runs in the same process).  Two mixes of steps:

* ``grounded``  — what a recorded run or a synthetic-data plan looks like: a
  third of the steps with three actions, a third reading a number with an
  ``extract``, a third ungrounded with ``after`` and an ``if``;
* ``high-level`` — what a planner writes: intents, dependencies, conditions,
  no action blocks.

Run: ``python bench/language.py`` (add ``--quick`` for fewer rounds).
"""

from __future__ import annotations

import statistics
import sys
import time

from planact import parse
from planact.check import check_plan
from planact.graph import apply_patch, build_graph, diff_plans

TARGET_MS = 100.0
TARGET_RATIO = 50.0


def grounded_plan(n: int) -> str:
    out = [
        'plan "Generated, grounded"',
        "",
        'site shop = "http://127.0.0.1:8765"',
        "",
        'input query: text = "mouse"',
        "",
    ]
    for i in range(n):
        if i % 3 == 0:
            out += [
                f'step s{i} "Search for {{query}}, round {i}":',
                '    goto shop "/search"',
                '    fill searchbox "Search" with query',
                '    click button "Search" first',
                "",
            ]
        elif i % 3 == 1:
            out += [
                f'step s{i} "Read the price of result {i}" -> number:',
                '    extract text first within css ".result" as number',
                "",
            ]
        else:
            out += [f'step s{i} "Open result {i} if it is cheap" after s{i - 1} if s{i - 1} <= 30', ""]
    return "\n".join(out)


def high_level_plan(n: int) -> str:
    out = ['plan "Generated, high level"', "", 'input query: text = "mouse"', ""]
    for i in range(n):
        if i % 4 == 3:
            out.append(f'step s{i} "Read the price of item {i}" -> number')
        elif i % 4 == 0 and i > 0:
            out.append(f'step s{i} "Add item {i} to the cart if cheap" after s{i - 1} if s{i - 1} < 30')
        else:
            out.append(f'step s{i} "Look for {{query}} in section {i}"')
        out.append("")
    return "\n".join(out)


def median_ms(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def pipeline(text: str) -> None:
    plan = parse(text)
    diagnostics = check_plan(plan, source=text)
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics[:3]
    build_graph(plan)


def main() -> None:
    quick = "--quick" in sys.argv
    print("parse + check + graph, median of several rounds (2-core machine, one process)")
    print(f"{'steps':>7}  {'mix':<11} {'KiB':>6} {'median ms':>10}  {'per step µs':>11}")
    for n in (100, 1_000, 10_000):
        for mix, make in (("grounded", grounded_plan), ("high-level", high_level_plan)):
            text = make(n)
            rounds = 3 if n == 10_000 or quick else 9
            pipeline(text)  # warm-up (parser construction is cached)
            ms = median_ms(lambda t=text: pipeline(t), rounds)
            note = f"  (target ≤ {TARGET_MS:.0f} ms: {'met' if ms <= TARGET_MS else 'missed'})" if n == 1_000 else ""
            print(f"{n:>7}  {mix:<11} {len(text) / 1024:>6.0f} {ms:>10.1f}  {ms * 1000 / n:>11.1f}{note}")

    print()
    print("1,000-step plan: rebuild the graph (baseline) vs. apply a one-step patch in place")
    text = grounded_plan(1_000)
    old = parse(text)
    new = parse(text.replace('step s500 "', 'step s500 "Changed: '))
    diff = diff_plans(old, new)
    assert len(diff.changed) == 1
    rounds = 20 if quick else 60
    rebuild = median_ms(lambda: build_graph(old), rounds)

    def patch_once() -> None:
        graph = graphs.pop()
        start = time.perf_counter()
        apply_patch(graph, diff)
        patch_times.append((time.perf_counter() - start) * 1000)

    graphs = [build_graph(old) for _ in range(rounds)]
    patch_times: list[float] = []
    for _ in range(rounds):
        patch_once()
    patch = statistics.median(patch_times)
    diff_ms = median_ms(lambda: diff_plans(old, new), max(5, rounds // 4))
    print(f"  rebuild build_graph(plan):      {rebuild:8.3f} ms")
    print(f"  apply_patch(graph, diff):       {patch:8.3f} ms")
    print(f"  diff_plans(old, new):           {diff_ms:8.3f} ms  (compares every step: grows with the plan)")
    print(
        f"  ratio rebuild / patch:          {rebuild / patch:8.1f}x  (target ≥ {TARGET_RATIO:.0f}x: {'met' if rebuild / patch >= TARGET_RATIO else 'missed'})"
    )
    print(f"  ratio rebuild / (diff + patch): {rebuild / (diff_ms + patch):8.1f}x")


if __name__ == "__main__":
    main()
