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
from planact.graph import apply_patch, build_graph, diff_plans

try:
    from planact.check import check_plan
except ImportError:  # the checker is written alongside; say so instead of failing obscurely
    sys.exit("bench/language.py needs planact.check.check_plan (the lint checker), which this checkout lacks")

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


def pipeline(text: str) -> tuple[float, float, float]:
    """Parse, check and build the graph of one plan; the three times in ms."""
    start = time.perf_counter()
    plan = parse(text)
    parsed = time.perf_counter()
    diagnostics = check_plan(plan, source=text)
    checked = time.perf_counter()
    build_graph(plan)
    built = time.perf_counter()
    errors = [d for d in diagnostics if d.severity == "error"]
    assert not errors, errors[:3]
    return ((parsed - start) * 1000, (checked - parsed) * 1000, (built - checked) * 1000)


def main() -> None:
    quick = "--quick" in sys.argv
    print("parse + check + graph, median of several rounds (one process); phases are their own medians")
    print(
        f"{'steps':>7}  {'mix':<11} {'KiB':>5} {'total ms':>9} {'per step µs':>12}   {'parse':>7} {'check':>7} {'graph':>7}"
    )
    for n in (100, 1_000, 10_000):
        for mix, make in (("grounded", grounded_plan), ("high-level", high_level_plan)):
            text = make(n)
            rounds = 3 if n == 10_000 or quick else 9
            pipeline(text)  # warm-up (parser construction is cached)
            runs = [pipeline(text) for _ in range(rounds)]
            ms = statistics.median(sum(r) for r in runs)
            phases = [statistics.median(r[i] for r in runs) for i in range(3)]
            note = f"  (target ≤ {TARGET_MS:.0f} ms: {'met' if ms <= TARGET_MS else 'missed'})" if n == 1_000 else ""
            print(
                f"{n:>7}  {mix:<11} {len(text) / 1024:>5.0f} {ms:>9.1f} {ms * 1000 / n:>12.1f}   "
                + " ".join(f"{t:>7.1f}" for t in phases)
                + note
            )

    print()
    print("1,000-step grounded plan: rebuild the graph (baseline) vs. apply a one-step patch in place")
    text = grounded_plan(1_000)
    old = parse(text)
    rounds = 20 if quick else 60
    rebuild = median_ms(lambda: build_graph(old), rounds)
    print(f"  rebuild: build_graph(plan)           {rebuild:8.3f} ms")
    edits = {
        "change the intent of s500": text.replace('step s500 "', 'step s500 "Changed: '),
        "insert a step after s500": text.replace('step s501 "', 'step extra "Check the stock"\n\nstep s501 "'),
    }
    for label, new_text in edits.items():
        new = parse(new_text)
        diff = diff_plans(old, new)
        assert len(diff.changed) == 1, diff.changed
        patch = patch_median_ms(old, diff, rounds)
        diff_ms = median_ms(lambda n=new: diff_plans(old, n), max(5, rounds // 4))
        ratio = rebuild / patch
        verdict = "met" if ratio >= TARGET_RATIO else "missed"
        print(f"  {label}:")
        print(
            f"    apply_patch(graph, diff)           {patch:8.3f} ms   rebuild / patch = {ratio:6.1f}x  (target ≥ {TARGET_RATIO:.0f}x: {verdict})"
        )
        print(f"    diff_plans(old, new)               {diff_ms:8.3f} ms   (compares every step: grows with the plan)")
        print(
            f"    diff + apply                       {diff_ms + patch:8.3f} ms   rebuild / (diff + apply) = {rebuild / (diff_ms + patch):4.1f}x"
        )


def patch_median_ms(plan: object, diff: object, rounds: int) -> float:
    """Median time of apply_patch on fresh graphs of ``plan`` (each graph is patched once; building is not timed)."""
    graphs = [build_graph(plan) for _ in range(rounds)]  # type: ignore[arg-type]
    times = []
    for graph in graphs:
        start = time.perf_counter()
        problems = apply_patch(graph, diff)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
        assert not problems
    return statistics.median(times)


if __name__ == "__main__":
    main()
