"""The Plan-and-Act training experiment at small scale: a planner fine-tuned on its own synthetic plans
against the same planner only prompted, on held-out demo-shop tasks.

1. Split the demo shop's WebArena-format tasks (engine/harness/tasks/demo.json): per family, the last
   task is held out; the rest are for training.  Held-out tasks are never seen in training.
2. Trajectories: the training tasks' reference grounded plans run as `replay` episodes with page
   recording; only episodes that the task's own evaluator judged successful are used.
3. Grounded plans: `synth ground --teacher recorded` (the steps of the plans that ran, through the
   span and lint gates; the episodes were already judged by the evaluator, so no replay).
4. Expansion: the local model writes new goal+plan pairs from those seeds (a bounded number of calls,
   grammar-constrained); only pairs that lint clean and are not near-duplicates are kept.
5. Export (planner answers keep their action blocks: a planner that writes grounded steps needs no
   executor call for them) and LoRA fine-tuning of the local model.
6. Evaluation: `planact bench demo` with the `static` and `dynamic` agents on the held-out tasks, the
   planner being the base model or the trained one, the executor the base model in both, same seeds.

Prints the table (success rate, lint-clean rate of the planner's drafts, mean steps, tokens and time
per episode) and writes it to OUT/table.md.  Every phase resumes from what OUT already holds.

Run: ``python bench/train_planner.py [--out bench-runs/train-planner] [--families ...] [--epochs 4]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from planact.harness.webarena import builtin_tasks
from planact.models.config import model_from_spec
from planact.run.records import RunRecord, read_jsonl
from planact.synth.expand import Expander, expand, seed_pairs
from planact.synth.export import export
from planact.synth.ground import RecordedSteps, ground_all
from planact.synth.trajectory import TrajectoryError, from_run, write_trajectories

EVAL_FAMILIES = "search-cheapest,product-info,forum-read,navigation"


def split(families: set[str] | None) -> tuple[list[str], list[str]]:
    """(training task ids, held-out task ids): per family, the last task is held out."""
    by_family: dict[str, list[str]] = defaultdict(list)
    for task in builtin_tasks("demo"):
        by_family[task.family or "other"].append(task.task_id)
    train_ids, held_out = [], []
    for family, ids in sorted(by_family.items()):
        ids.sort()
        train_ids += ids[:-1]
        if families is None or family in families:
            held_out.append(ids[-1])
    return train_ids, held_out


def planact(*args: str, required: bool = False) -> None:
    """Run a planact command, its output shown as it comes; a ``required`` one that fails ends the script
    (a benchmark that fails some episodes exits non-zero and is not required: its results are the point)."""
    print("$ planact " + " ".join(args), flush=True)
    code = subprocess.run([sys.executable, "-m", "planact", *args], check=False).returncode
    if required and code != 0:
        raise SystemExit(f"`planact {args[0]} {args[1] if len(args) > 1 else ''}` failed (exit {code}): stopping here")


def phase(name: str) -> float:
    print(f"\n== {name}", flush=True)
    return time.perf_counter()


def spent(record: Path) -> tuple[int, int, int]:
    """(planner answers for the first plan, those rejected, tokens of every model call) in an episode's record."""
    calls = rejected = tokens = 0
    for e in RunRecord(record).events():
        drafting = e.get("role") == "planner" and e.get("purpose") == "plan"
        if e["event"] == "model_call":
            calls += drafting
            tokens += e.get("prompt_tokens", 0) + e.get("completion_tokens", 0)
        elif e["event"] == "model_rejected":
            rejected += drafting
    return calls, rejected, tokens


def table(results: dict[str, Path]) -> str:
    lines = [
        "| planner | agent | success | lint-clean drafts | mean steps | mean tokens | mean s |",
        "|---|---|---|---|---|---|---|",
    ]
    for planner, folder in results.items():
        rows = [json.loads(x) for x in (folder / "results.jsonl").read_text().splitlines() if x.strip()]
        for agent in ("static", "dynamic"):
            mine = [r for r in rows if r["agent"] == agent]
            if not mine:
                continue
            wins = sum(bool(r.get("success")) for r in mine)
            answers = rejected = used = 0
            for r in mine:
                if r.get("record"):
                    a, b, c = spent(Path(r["record"]))
                    answers, rejected, used = answers + a, rejected + b, used + c
            clean = f"{answers - rejected}/{answers}" if answers else "-"
            steps = sum(r.get("steps", 0) for r in mine) / len(mine)
            tokens = used / len(mine)
            seconds = sum(r.get("seconds", 0) for r in mine) / len(mine)
            lines.append(
                f"| {planner} | {agent} | {wins}/{len(mine)} ({wins / len(mine):.0%}) | {clean} | {steps:.1f} | "
                f"{tokens:.0f} | {seconds:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench-runs/train-planner")
    parser.add_argument("--families", default=EVAL_FAMILIES, help="Families whose held-out task is evaluated ('all').")
    parser.add_argument("--expand-calls", type=int, default=4, help="Expansion calls to the local model.")
    parser.add_argument("--epochs", type=float, default=4.0)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--max-length", type=int, default=3072)
    parser.add_argument("--agents", default="static,dynamic")
    parser.add_argument("--timeout", type=float, default=150.0, help="Seconds per evaluation episode.")
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    families = None if args.families == "all" else set(args.families.split(","))
    train_ids, held_out = split(families)
    print(f"{len(train_ids)} training tasks, held out: {', '.join(held_out)}")

    t = phase("1. trajectories: reference plans of the training tasks, replayed with page recording")
    planact("bench", "demo", "--agent", "replay", "--tasks", ",".join(train_ids), "--record-pages",
            "-o", str(out / "record"), "--json")  # fmt: skip
    trajectories = []
    for row in read_jsonl(out / "record" / "results.jsonl"):
        if row.get("success") and row.get("record"):
            try:
                trajectories.append(from_run(row["record"]))
            except TrajectoryError as err:
                print(f"  skipped: {err}")
    write_trajectories(trajectories, out / "train.traj.jsonl")
    print(f"  {len(trajectories)} successful trajectories ({time.perf_counter() - t:.0f} s)")

    t = phase("2. grounded plans (teacher: the recorded steps)")
    ground_all(trajectories, RecordedSteps(), out / "synth", replay_mode="never")
    kept = sum(1 for e in read_jsonl(out / "synth" / "ground.jsonl") if e.get("kept"))
    print(f"  {kept} grounded plans kept ({time.perf_counter() - t:.0f} s)")

    t = phase(f"3. expansion with the local model ({args.expand_calls} calls)")
    if args.expand_calls > 0:
        model = model_from_spec("local")
        seeds = seed_pairs(out / "synth")
        pairs = expand(
            seeds, Expander(model, per_call=1, seeds_per_call=3, temperature=0.8, max_tokens=768), out / "synth",
            n=args.expand_calls, max_calls=args.expand_calls,
            progress=lambda have, want, call: print(f"  call {call['call']}: kept {call['kept']}, rejected "
                                                     f"{[r['reason'][:80] for r in call['rejected']]}", flush=True),
        )  # fmt: skip
        print(f"  {len(pairs)} expanded pairs kept ({time.perf_counter() - t:.0f} s)")

    t = phase("4. export and LoRA fine-tuning of the planner")
    counts = export(out / "synth", out / "export", grounded_planner=True)
    print(f"  {counts}")
    # in a process of its own: the memory of training is given back before the evaluation's models load
    planact("train", "planner", "--data", str(out / "export" / "planner.jsonl"), "--base", "local", "-o",
            str(out / "model"), "--epochs", str(args.epochs), "--lr", str(args.lr), "--batch-size", "1",
            "--grad-accum", "4", "--max-length", str(args.max_length))  # fmt: skip
    manifest = json.loads((out / "model" / "planact-model.json").read_text())
    print(f"  trained: {manifest['steps']} steps on {manifest['examples']} examples, loss {manifest['first_loss']} -> "
          f"{manifest['last_loss']}, {manifest['too_long']} too long ({time.perf_counter() - t:.0f} s)")  # fmt: skip

    t = phase("5. evaluation on the held-out tasks")
    results = {}
    for name, planner in (("base", "local"), ("trained", f"local:{out / 'model'}")):
        folder = out / f"eval-{name}"
        planact("bench", "demo", "--agent", args.agents, "--planner-model", planner, "--executor-model", "local",
                "--tasks", ",".join(held_out), "--seeds", str(args.seeds), "--timeout", str(args.timeout),
                "-o", str(folder), "--json")  # fmt: skip
        results[name] = folder
    print(f"  ({time.perf_counter() - t:.0f} s)")

    text = table(results)
    (out / "table.md").write_text(text)
    print("\n" + text)
    print(
        f"held-out tasks: {', '.join(held_out)}; training pairs: {counts}; total {(time.perf_counter() - started) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
