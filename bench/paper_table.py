"""The Plan-and-Act table in miniature, on MiniWoB++: base SmolLM2-135M against the same model fine-tuned on
planact's own synthetic data, on held-out seeds.  Every phase resumes from what OUT already holds.

1. generate: `planact synth generate miniwob` over the training tasks' training seeds (< 1000): the
   grounded plans of plans/miniwob replayed with page recording, only episodes the page's reward judged
   successful kept, exported as planner, replanner, executor and react (plan-less executor) examples.
2. train: `planact train executor` on those examples (LoRA on the top layers: see bench/train_speed.py).
3. evaluate: `planact bench miniwob` on seeds from 1000 on (never generated), for the training tasks and
   for tasks that were never in the training data (UNSEEN), the model base or trained.  The agent gets
   the instruction and the page, nothing else: no plan file, no task name.

Prints the table (success with its 95% Wilson interval, mean steps, actions, model calls, tokens and
seconds per episode) per task group, and writes it to OUT/table.md.

Run: ``python bench/paper_table.py [--out bench-runs/paper] [--seeds 20] [--eval-seeds 5] [--epochs 2]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from train_planner import planact  # each phase in a process of its own (training's memory is given back)

from planact.bench.report import wilson
from planact.run.records import read_jsonl
from planact.synth.generate import HELD_OUT_SEED

# short tasks of one or two actions whose instructions name what to act on
TRAIN_TASKS = (
    "click-button,click-link,click-tab,click-dialog,click-dialog-2,click-test,click-test-2,click-option,"
    "click-checkboxes,enter-text,enter-password,focus-text,choose-list,click-widget"
)
UNSEEN_TASKS = "click-button-sequence,focus-text-2,enter-text-dynamic,click-collapsible-nodelay,login-user"


def rows_of(folder: Path, tasks: set[str]) -> list[dict]:
    return [r for r in read_jsonl(folder / "results.jsonl") if r["task"] in tasks] if folder.exists() else []


def table(groups: dict[str, set[str]], models: dict[str, Path], agents: list[str]) -> str:
    lines = [
        "| tasks | agent | model | success | 95% CI | steps | actions | calls | tokens | s/episode | episodes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for group, tasks in groups.items():
        for agent in agents:
            for name, folder in models.items():
                rows = [r for r in rows_of(folder, tasks) if r["agent"] == agent]
                if not rows:
                    continue
                n, wins = len(rows), sum(bool(r.get("success")) for r in rows)
                low, high = wilson(wins, n)

                def mean(key: str, rows: list[dict] = rows) -> float:
                    return sum(float(r.get(key) or 0) for r in rows) / len(rows)

                tokens = mean("prompt_tokens") + mean("completion_tokens")
                lines.append(
                    f"| {group} | {agent} | {name} | {wins / n:.1%} ({wins}/{n}) | {low:.0%}–{high:.0%} | "
                    f"{mean('steps'):.1f} | {mean('actions'):.1f} | {mean('model_calls'):.1f} | {tokens:.0f} | "
                    f"{mean('seconds'):.1f} | {n} |"
                )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench-runs/paper")
    parser.add_argument("--tasks", default=TRAIN_TASKS, help="Training tasks (comma-separated).")
    parser.add_argument("--unseen", default=UNSEEN_TASKS, help="Tasks kept out of training, evaluated too.")
    parser.add_argument("--seeds", type=int, default=20, help="Training seeds per task (0..N-1).")
    parser.add_argument("--eval-seeds", type=int, default=5, help=f"Held-out seeds per task (from {HELD_OUT_SEED}).")
    parser.add_argument("--data", default="react", choices=["react", "executor"], help="Which examples to train on.")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--lora-layers", type=int, default=8)
    parser.add_argument("--agents", default="react")
    parser.add_argument("--timeout", type=float, default=90.0, help="Seconds per evaluation episode.")
    parser.add_argument("--parallel", type=int, default=2)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    print("\n== 1. generate", flush=True)
    planact("synth", "generate", "miniwob", "--tasks", args.tasks, "--seeds", str(args.seeds), "-o", str(out / "data"),
            "--parallel", str(args.parallel), "--json")  # fmt: skip

    print("\n== 2. train", flush=True)
    data = out / "data" / "export" / f"{args.data}.jsonl"
    planact("train", "executor", "--data", str(data), "-o", str(out / "executor"), "--epochs", str(args.epochs),
            "--lr", str(args.lr), "--lora-layers", str(args.lora_layers), "--batch-size", "4",
            "--max-length", "1536", "--json")  # fmt: skip
    manifest = json.loads((out / "executor" / "planact-model.json").read_text())
    log = read_jsonl(out / "executor" / "log.jsonl")
    rate = log[-1].get("tokens_per_second") if log else None
    print(f"  {manifest['steps']} steps on {manifest['examples']} examples, loss {manifest['first_loss']} -> "
          f"{manifest['last_loss']}, {manifest['seconds'] / 60:.1f} min, {rate} tokens/s")  # fmt: skip

    print("\n== 3. evaluate on held-out seeds", flush=True)
    models = {"base": "local", "trained": f"local:{out / 'executor'}"}
    folders = {}
    for name, spec in models.items():
        folders[name] = out / f"eval-{name}"
        planact("bench", "miniwob", "--agent", args.agents, "--model", spec, "--tasks", f"{args.tasks},{args.unseen}",
                "--seeds", str(args.eval_seeds), "--first-seed", str(HELD_OUT_SEED), "--timeout", str(args.timeout),
                "--parallel", str(args.parallel), "-o", str(folders[name]), "--json")  # fmt: skip

    groups = {
        "trained tasks, held-out seeds": set(args.tasks.split(",")),
        "unseen tasks": set(args.unseen.split(",")),
    }
    text = table(groups, folders, args.agents.split(","))
    (out / "table.md").write_text(text)
    print("\n" + text)
    print(f"total {(time.perf_counter() - started) / 60:.1f} min; the trained model: {out / 'executor'}")


if __name__ == "__main__":
    main()
