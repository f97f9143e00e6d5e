"""Latency of `planact lsp` diagnostics after a keystroke-sized change.

For generated plans of 200 and 1,000 steps (a third grounded with a `goto` and a `click`, a
third reading a number, a third with an `if` on the step before), a real LSP client
(planact.lsp.client: pygls' LanguageClient over the server's stdio pipes) opens the plan and
then types: each change inserts or deletes one character in the intent of the middle step,
as an incremental `didChange`, and waits for the `publishDiagnostics` of that version.  The
server runs with its debounce off (`debounceMs: 0`), so the figure is the work a change costs
-- the wire, the document update, parse + check, the conversion to LSP -- not the pause the
server waits for the typist (150 ms by default).

The baseline, in this process: `lint_text` (what `planact lint` runs per file: parse + check)
on the same text, right after each keystroke's diagnostics arrive (so both see the same load).  Prints, per size, the median and 90th percentile ms per keystroke, the
baseline's median and the ratio server/baseline; the target is a median of at most 50 ms for
the 200-step plan.

Run: ``python bench/lsp_latency.py [--keys N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from lsprotocol import types as lsp

from planact.check import lint_text
from planact.lsp.client import PlanClient

TARGET_MS = 50.0


def generated_plan(steps: int) -> str:
    lines = ['plan "A generated plan"', "", 'site shop = "http://127.0.0.1:8765"', ""]
    lines += ['input query: text = "mouse"', "input budget: number = 30", ""]
    for i in range(steps - 1):
        if i % 3 == 0:
            lines += [
                f'step s{i} "Open page {i} for {{query}}":',
                f'    goto shop "/p/{i}"',
                '    click button "Next"',
                "",
            ]
        elif i % 3 == 1:
            lines += [
                f'step s{i} "Read price {i}" -> number:',
                '    extract text first within css ".price" as number',
                "",
            ]
        else:
            lines += [f'step s{i} "Check {i}" if s{i - 1} <= budget:', '    click link "Add"', ""]
    lines += ['step done "Report":', '    answer "The price was {s1}"', ""]
    return "\n".join(lines)


def keystrokes(text: str, count: int) -> list[tuple[str, lsp.Range, str]]:
    """``count`` one-character edits of the middle step's intent: type an `x`, delete it, and so on;
    each with the text after it."""
    lines = text.split("\n")
    row = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("step "))
    col = lines[row].index('"') + 1
    at = lsp.Position(row, col)
    edits = []
    for k in range(count):
        if k % 2 == 0:
            lines[row] = lines[row][:col] + "x" + lines[row][col:]
            edits.append(("x", lsp.Range(at, at), "\n".join(lines)))
        else:
            lines[row] = lines[row][:col] + lines[row][col + 1 :]
            edits.append(("", lsp.Range(at, lsp.Position(row, col + 1)), "\n".join(lines)))
    return edits


def measure(client: PlanClient, steps: int, keys: int) -> dict:
    text = generated_plan(steps)
    uri = f"untitled:generated-{steps}.pa"
    client.open(uri, text)
    assert client.diagnostics(uri, 1, timeout=120) == [], "the generated plan must lint clean"
    edits = keystrokes(text, keys)
    server_ms, baseline_ms = [], []
    for version, (new, where, after) in enumerate(edits, start=2):  # interleaved: both see the same load
        start = time.perf_counter()
        client.change(uri, version, new, where)
        published = client.wait_published(uri, version, timeout=120)
        server_ms.append((published.at - start) * 1000)
        assert published.diagnostics == []
        start = time.perf_counter()
        _, found = lint_text(after)
        baseline_ms.append((time.perf_counter() - start) * 1000)
        assert found == []
    client.close(uri)
    server, base = statistics.median(server_ms), statistics.median(baseline_ms)
    return {
        "steps": steps,
        "chars": len(text),
        "server_median_ms": server,
        "server_p90_ms": statistics.quantiles(server_ms, n=10)[-1],
        "baseline_median_ms": base,
        "ratio": server / base,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=40, help="keystrokes per plan size (default 40)")
    args = parser.parse_args()
    with PlanClient(debounce_ms=0, timeout=300) as client:
        rows = [measure(client, steps, args.keys) for steps in (200, 1000)]
    print(f"{'steps':>6} {'chars':>7} {'lsp median ms':>14} {'lsp p90 ms':>11} {'lint_text ms':>13} {'ratio':>6}")
    for r in rows:
        print(
            f"{r['steps']:>6} {r['chars']:>7} {r['server_median_ms']:>14.1f} {r['server_p90_ms']:>11.1f} "
            f"{r['baseline_median_ms']:>13.1f} {r['ratio']:>6.2f}"
        )
    small = rows[0]["server_median_ms"]
    verdict = "met" if small <= TARGET_MS else "NOT met"
    print(f"target: median <= {TARGET_MS:.0f} ms per keystroke for 200 steps: {small:.1f} ms, {verdict}")


if __name__ == "__main__":
    main()
