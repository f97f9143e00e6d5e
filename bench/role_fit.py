"""How well each role of a model answers examples of seeds it was never trained on: the planner, the
replanner and the executor measured apart, so that a low success rate can be traced to the role behind it.

The examples are an export of `planact synth generate` over development seeds (e.g. ``--first-seed 900``:
below the held-out 1000, above the training seeds), so model choices are made without looking at the
evaluation's seeds.  Each example's prompt goes to the model with the grammar and the token budget the
engine gives that role; the answer is compared with the recorded one:

- planner: the same steps (ids and intents), the same intents (ids aside), the same number of steps;
- executor and react: the same first action, the same `done` decision, the whole answer;
- replanner: the whole answer.

Prints one line per role (and, with ``--per-task``, per task) and writes OUT.json with every answer.
Run: ``python bench/role_fit.py --model local:miniwob-planner --data DEV/export-compact [--per-role 60]``
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from paper_table import task_of as _task_of  # the task an example was made on, as the mix reads it

from planact.models.config import model_from_spec
from planact.models.prompts import detect_form
from planact.run.grounding import references
from planact.run.planner import COMPACT_REVISION_TOKENS
from planact.run.records import read_jsonl
from planact.syntax.decoding import page_reply_grammar, plan_grammar, revision_grammar, steps_grammar

STEP = re.compile(r'^step\s+(\w+)\s+"((?:[^"\\]|\\.)*)"', re.M)


def task_of(example: dict) -> str:
    return _task_of(example) or "?"


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def score(role: str, answer: str, reference: str) -> dict[str, bool]:
    if role == "planner":
        got, want = STEP.findall(answer), STEP.findall(reference)
        return {
            "exact": got == want,
            "intents": [i for _, i in got] == [i for _, i in want],
            "count": len(got) == len(want),
        }
    if role in ("executor", "react"):
        got, want = lines(answer), lines(reference)
        return {
            "exact": got == want,
            "first": got[:1] == want[:1],
            "done": ("done" in got) == ("done" in want),
        }
    return {"exact": lines(answer) == lines(reference)}


def ask(model, role: str, messages: list[dict]) -> str:  # noqa: ANN001 - a planact Model
    compact = detect_form([messages]) == "compact"
    if role == "planner":
        grammar, budget = (steps_grammar(), COMPACT_REVISION_TOKENS) if compact else (plan_grammar(), 1024)
    elif role == "replanner":
        grammar, budget = revision_grammar(), COMPACT_REVISION_TOKENS
    else:  # the engine's grammar for this page: what it shows, one action a turn in the compact form
        grammar, budget = page_reply_grammar(references(messages[-1]["content"]), one=compact), 256
    return model.complete(messages, grammar=grammar, max_tokens=budget).text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="Model spec, e.g. local:miniwob-planner or local:OUT/agent.")
    parser.add_argument("--data", type=Path, required=True, help="An export folder of development seeds.")
    parser.add_argument("--roles", default="planner,executor", help="Roles to measure (comma-separated).")
    parser.add_argument("--per-role", type=int, default=60, help="Examples per role, drawn evenly over tasks.")
    parser.add_argument("--per-task", action="store_true", help="Also print each task's figures.")
    parser.add_argument("--out", type=Path, help="Write every answer here (JSON) [DATA/role-fit.json].")
    args = parser.parse_args()
    model = model_from_spec(args.model)
    rng = random.Random(0)
    report: dict[str, list[dict]] = {}
    for role in args.roles.split(","):
        by_task: dict[str, list[dict]] = defaultdict(list)
        for example in read_jsonl(args.data / f"{role}.jsonl"):
            by_task[task_of(example)].append(example)
        for group in by_task.values():
            rng.shuffle(group)
        picked, depth = [], 0
        while len(picked) < args.per_role and any(depth < len(g) for g in by_task.values()):
            picked += [g[depth] for _, g in sorted(by_task.items()) if depth < len(g)]
            depth += 1
        rows = []
        for number, example in enumerate(picked[: args.per_role], 1):
            messages, reference = example["messages"][:-1], example["messages"][-1]["content"]
            answer = ask(model, role, messages)
            rows.append({"task": task_of(example), "answer": answer, "reference": reference,
                         **score(role, answer, reference)})  # fmt: skip
            print(f"\r  {role}: {number}/{min(args.per_role, len(picked))}", end="", flush=True)
        print()
        report[role] = rows
    print(f"\nmodel {args.model}, data {args.data}")
    for role, rows in report.items():
        keys = [k for k in rows[0] if isinstance(rows[0][k], bool)] if rows else []
        figures = ", ".join(f"{k} {sum(r[k] for r in rows)}/{len(rows)}" for k in keys)
        print(f"{role:>10}: {figures}")
        if args.per_task:
            tasks: dict[str, list[dict]] = defaultdict(list)
            for r in rows:
                tasks[r["task"]].append(r)
            for task, group in sorted(tasks.items()):
                print(f"{'':>12}{task}: " + ", ".join(f"{k} {sum(r[k] for r in group)}/{len(group)}" for k in keys))
    out = args.out or args.data / "role-fit.json"
    out.write_text(json.dumps({"model": args.model, "roles": report}, indent=2) + "\n")
    print(f"answers: {out}")


if __name__ == "__main__":
    main()
