"""The Plan-and-Act table in miniature, on MiniWoB++ and the demo shop: base SmolLM2-135M against the same model
fine-tuned on planact's own synthetic data, on held-out seeds and held-out tasks.  Every phase resumes from what
OUT already holds.

1. generate: `planact synth generate miniwob` over the training tasks' training seeds (< 1000): the
   grounded plans of plans/miniwob replayed with page recording, only episodes the page's reward judged
   successful kept, exported as planner, replanner, executor and react (plan-less executor) examples, in
   the prompt form of ``--prompts`` (compact: short planner and replanner prompts, a planner answer of
   step lines; the trained model's card records the form, and it is served with it).
1b. generate demo: `planact synth generate demo` over the training families (DEMO_FAMILIES): new tasks
   from the shop's catalogue, their reference plans replayed and kept when the task's evaluator passes.
2. mix: one training set for every role (OUT/mix.jsonl), at most N examples of each role per task
   (``--mix``), drawn with a fixed seed.  One adapter serves planner, replanner and executor: their system
   prompts tell the roles apart, one LoRA is loaded once, and the training time is spent on the roles'
   examples in the proportions chosen rather than on two runs' warm-up and export.
3. train: `planact train agent` on the mix (LoRA on the top layers: see bench/train_speed.py).
4. evaluate: `planact bench miniwob` on seeds from 1000 on (never generated), for the training tasks and
   for tasks that were never in the training data (UNSEEN), each agent with the base or the trained
   model.  The agent gets the instruction and the page, nothing else: no plan file, no task name.
4b. evaluate on the demo shop: `planact synth demo-tasks` writes held-out tasks (seeds from 1000, contents
   never generated for training) of the training families and of two families never trained on
   (DEMO_UNSEEN), and `planact bench demo --task-file` runs the trained agents on them.

Prints the table (success with its 95% Wilson interval, mean steps, actions, model calls, tokens and
seconds per episode) per task group, and writes it to OUT/table.md.

Run: ``python bench/paper_table.py [--out bench-runs/paper] [--seeds 10] [--eval-seeds 1]``
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from train_planner import planact  # each phase in a process of its own (training's memory is given back)

from planact.harness.report import wilson
from planact.run.records import read_jsonl
from planact.synth.generate import HELD_OUT_SEED
from planact.synth.stats import EXPORT_ROLES

PLANS = Path(__file__).resolve().parents[1] / "plans" / "miniwob"
# tasks with a grounded plan that are kept out of training (their siblings, e.g. focus-text, are not)
UNSEEN_TASKS = "click-button-sequence,focus-text-2,enter-text-dynamic,click-collapsible-nodelay,login-user"
# demo-shop task families generated for training, and two kept out of it (planact.synth.demo_tasks)
DEMO_FAMILIES = "search-cheapest,product-info,cart-add,search-filter"
DEMO_UNSEEN = "navigation,cart-edit"
TASK_PAGE = re.compile(r"/miniwob/([\w-]+)\.html")


def plan_tasks() -> list[str]:
    return sorted(p.stem for p in PLANS.glob("*.pa"))


def miniwob_task(example: dict) -> str | None:
    """The MiniWoB++ task an example was made on: the task page's file name in its prompt."""
    found = TASK_PAGE.search(example["messages"][1]["content"])
    return found.group(1) if found else None


def mix(export: Path, caps: dict[str, int], allowed: set[str], task_of=None, seed: int = 0) -> tuple[list, dict]:
    """The examples of ``caps[role]`` episodes of each task, per role; (examples, counts per role).
    ``caps["revision"]``: besides, the replanning examples that add a step (the export marks them
    ``revises``) of that many more episodes a task, as an episode has one or two of them at most.

    Whole episodes are drawn, not single examples, so that every action of a task (the fill before the
    click) is seen as often as the others.  An episode's examples share the goal, the prompt's first line;
    where episodes share it too (a task whose instruction never changes) the task's examples are capped at
    ``caps[role]`` times the median episode's.  ``task_of`` names an example's task (default: the MiniWoB++
    page in its prompt); an example of a task not in ``allowed`` stops the run.
    """
    task_of = task_of or miniwob_task
    rng = random.Random(seed)
    chosen: list[dict] = []
    counts: dict[str, int] = {}
    for role in (*EXPORT_ROLES, "revision"):
        if not caps.get(role):
            continue
        if role == "revision":  # the replanning examples that add a step, of caps["revision"] episodes a task
            examples = [e for e in read_jsonl(export / "replanner.jsonl") if e.get("revises")]
            taken = {json.dumps(e["messages"]) for e in chosen}
            examples = [e for e in examples if json.dumps(e["messages"]) not in taken]
        else:
            examples = read_jsonl(export / f"{role}.jsonl")
        episodes: dict[str, dict[str, list[dict]]] = {}  # task -> goal -> examples
        for example in examples:
            task = task_of(example)
            if task is None or task not in allowed:
                raise SystemExit(f"{role} example of task {task!r}, which is not a training task: refusing to train")
            goal = example["messages"][1]["content"].split("\n", 1)[0]
            episodes.setdefault(task, {}).setdefault(goal, []).append(example)
        sizes = sorted(len(group) for groups in episodes.values() for group in groups.values())
        median = sizes[len(sizes) // 2] if sizes else 1
        for groups in episodes.values():
            drawn = rng.sample(sorted(groups), min(caps[role], len(groups)))
            picked = [e for goal in drawn for e in groups[goal]][: caps[role] * max(median, 1)]
            chosen += picked
            counts[role] = counts.get(role, 0) + len(picked)
    return chosen, counts


def demo_family_of(tasks_file: Path):
    """An example's demo task family, looked up by its goal (the generated tasks' intents are unique)."""
    family = {f"Goal: {t['intent']}": t["family"] for t in json.loads(tasks_file.read_text())}

    def task_of(example: dict) -> str | None:
        return family.get(example["messages"][1]["content"].split("\n", 1)[0])

    return task_of


def demo_task_groups(tasks_file: Path, train: list[str], unseen: list[str]) -> dict[str, set[str]]:
    """Table groups of the held-out demo tasks: those of the training families, those of the unseen ones."""
    tasks = json.loads(tasks_file.read_text()) if tasks_file.exists() else []
    groups = {
        f"demo: trained families ({len(train)}), held-out tasks": {t["task_id"] for t in tasks if t["family"] in train},
        f"demo: unseen families ({', '.join(unseen)})": {t["task_id"] for t in tasks if t["family"] in unseen},
    }
    return {name: ids for name, ids in groups.items() if ids}


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


def per_task(folder: Path, agent: str) -> dict[str, str]:
    """task -> "wins/episodes" of one agent in one evaluation folder."""
    scores: dict[str, list[int]] = {}
    for r in rows_of(folder, set(plan_tasks())):
        if r["agent"] == agent:
            s = scores.setdefault(r["task"], [0, 0])
            s[0] += bool(r.get("success"))
            s[1] += 1
    return {task: f"{w}/{n}" for task, (w, n) in sorted(scores.items())}


def ship(args: argparse.Namespace, out: Path, manifest: dict, counts: dict, train: list, unseen: list, text: str):
    """The adapter into the package (``--model local:miniwob``) with a card saying how it was made."""
    import shutil

    args.ship.mkdir(parents=True, exist_ok=True)
    name = args.ship_name
    shutil.copyfile(out / "agent" / manifest["lora_gguf"], args.ship / f"{name}.gguf")
    card = {
        "name": name,
        "base": Path(manifest["base_gguf"]).name,
        "roles": sorted(counts),
        "prompts": manifest.get("prompts", "full"),
        "command": "python bench/paper_table.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in (
                ("seeds", args.seeds),
                ("prompts", args.prompts),
                ("mix", args.mix),
                ("mix_seed", args.mix_seed or ""),
                ("epochs", args.epochs),
                ("lr", args.lr),
                ("lora_layers", args.lora_layers),
                ("init", args.init),
                ("executor", args.executor),
                ("demo_families", args.demo_families),
                ("demo_unseen", args.demo_unseen),
                ("demo_seeds", args.demo_seeds),
                ("demo_mix", args.demo_mix),
            )
            if v != ""
        ),  # fmt: skip
        "held_out_seed": HELD_OUT_SEED,
        "training_tasks": train,
        "unseen_tasks": unseen,
        "demo_training_families": [f for f in args.demo_families.split(",") if f],
        "demo_unseen_families": [f for f in args.demo_unseen.split(",") if f],
        "examples": counts,
        "training": {
            k: manifest.get(k) for k in ("steps", "examples", "too_long", "first_loss", "last_loss", "seconds")
        },
        "table": text,
    }
    (args.ship / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"shipped: {args.ship / f'{name}.gguf'} and its card")


def generated(benchmark: str, tasks: list[str], seeds: int, folder: Path, args: argparse.Namespace) -> Path:
    """`planact synth generate BENCHMARK` into ``folder``, exported in the prompt form of ``--prompts``: the
    export folder."""
    planact("synth", "generate", benchmark, "--tasks", ",".join(tasks), "--seeds", str(seeds), "-o", str(folder),
            "--parallel", str(args.parallel), "--json", required=True)  # fmt: skip
    if args.prompts == "full":
        return folder / "export"
    planact("synth", "export", str(folder / "data"), "-o", str(folder / f"export-{args.prompts}"),
            "--prompts", args.prompts, required=True)  # fmt: skip
    return folder / f"export-{args.prompts}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench-runs/paper")
    parser.add_argument("--tasks", default="", help="Training tasks (comma-separated) [every planned one but UNSEEN].")
    parser.add_argument("--unseen", default=UNSEEN_TASKS, help="Tasks kept out of training, evaluated too.")
    parser.add_argument("--seeds", type=int, default=10, help="Training seeds per task (0..N-1).")
    parser.add_argument("--prompts", choices=("full", "compact"), default="compact",
                        help="Prompt form of the training data (and so of the trained model).")  # fmt: skip
    parser.add_argument("--mix", default="react=3,executor=3,planner=10,replanner=2",
                        help="Episodes per task whose examples of each role are in the training set (revision=N: the "
                        "replanning examples that add a step, of N episodes more).")  # fmt: skip
    parser.add_argument("--mix-seed", type=int, default=0,
                        help="Seed of the mix's draw of episodes (another seed: other episodes, e.g. for a run "
                        "that continues an adapter with --init).")  # fmt: skip
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=-1, help="Stop training after this many steps.")
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--lora-layers", type=int, default=8)
    parser.add_argument("--init", default="",
                        help="Start training from the adapter of an earlier run's agent folder (OUT/agent), a "
                        "fresh schedule: a second epoch of an earlier run, say, with --out a new folder.")  # fmt: skip
    parser.add_argument("--agents", default="react,static,dynamic")
    parser.add_argument("--eval-seeds", type=int, default=1, help=f"Held-out seeds per task (from {HELD_OUT_SEED}).")
    parser.add_argument("--every", default="static=2,dynamic=1",
                        help="Evaluate an agent on every Nth task only (the planning agents take ~50 s an episode).")  # fmt: skip
    parser.add_argument("--base-tasks", default="click-test-2,focus-text,click-button",
                        help="Tasks the base model is evaluated on (comma-separated; empty: as the trained).")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=60.0, help="Seconds per evaluation episode.")
    parser.add_argument("--base-timeout", type=float, default=30.0, help="Seconds per episode of the base model.")
    parser.add_argument("--executor", default="",
                        help="Executor model of the trained rows (a model spec, e.g. local:miniwob) [the model "
                        "trained here]; the planner is always the model trained here.")  # fmt: skip
    parser.add_argument("--demo-families", default=DEMO_FAMILIES,
                        help="Demo-shop task families generated for training (empty: no demo data).")  # fmt: skip
    parser.add_argument("--demo-unseen", default=DEMO_UNSEEN, help="Demo families kept out of training, evaluated too.")
    parser.add_argument("--demo-seeds", type=int, default=40, help="Training tasks generated per demo family.")
    parser.add_argument("--demo-mix", default="planner=40,executor=12,replanner=3",
                        help="Demo episodes per family whose examples of each role are in the training set.")  # fmt: skip
    parser.add_argument("--demo-eval", type=int, default=4, help="Held-out demo tasks per family evaluated.")
    parser.add_argument("--demo-timeout", type=float, default=90.0, help="Seconds per demo evaluation episode.")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--skip", default="", help="Phases to skip (comma-separated: base, trained).")
    parser.add_argument("--ship", type=Path, help="Copy the adapter and its card here (engine/models/adapters).")
    parser.add_argument("--ship-name", default="miniwob", help="The shipped adapter's name (--model local:NAME).")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    unseen = [t for t in args.unseen.split(",") if t]
    train_tasks = [t for t in (args.tasks.split(",") if args.tasks else plan_tasks()) if t and t not in unseen]
    caps = {role: int(n) for role, n in (part.split("=") for part in args.mix.split(",") if part)}
    skip = set(args.skip.split(","))

    print(f"\n== 1. generate ({len(train_tasks)} training tasks; unseen: {', '.join(unseen)})", flush=True)
    export = generated("miniwob", train_tasks, args.seeds, out / "data", args)

    demo_train = [f for f in args.demo_families.split(",") if f]
    demo_unseen = [f for f in args.demo_unseen.split(",") if f]
    if demo_train:
        print(f"\n== 1b. generate demo ({', '.join(demo_train)}; unseen: {', '.join(demo_unseen)})", flush=True)
        demo_export = generated("demo", demo_train, args.demo_seeds, out / "demo", args)

    print("\n== 2. mix", flush=True)
    chosen, counts = mix(export, caps, set(train_tasks), seed=args.mix_seed)
    if demo_train:
        demo_caps = {role: int(n) for role, n in (part.split("=") for part in args.demo_mix.split(",") if part)}
        more, demo_counts = mix(
            demo_export, demo_caps, set(demo_train), demo_family_of(out / "demo" / "tasks.json"), args.mix_seed
        )
        chosen += more
        print(f"  demo examples: {demo_counts}")
        counts = {role: counts.get(role, 0) + demo_counts.get(role, 0) for role in {**counts, **demo_counts}}
    random.Random(0).shuffle(chosen)
    (out / "mix.jsonl").write_text("".join(json.dumps(e) + "\n" for e in chosen))
    print(f"  {sum(counts.values())} examples -> {out / 'mix.jsonl'}: {counts}")

    print("\n== 3. train", flush=True)
    planact("train", "agent", "--data", str(out / "mix.jsonl"), "-o", str(out / "agent"), "--epochs", str(args.epochs),
            "--lr", str(args.lr), "--lora-layers", str(args.lora_layers), "--batch-size", "4",
            "--max-length", "1536", "--max-steps", str(args.max_steps),
            *(["--init", args.init] if args.init else []), "--json", required=True)  # fmt: skip
    manifest = json.loads((out / "agent" / "planact-model.json").read_text())
    log = read_jsonl(out / "agent" / "log.jsonl")
    rate = log[-1].get("tokens_per_second") if log else None
    print(f"  {manifest['steps']} steps on {manifest['examples']} examples, loss {manifest['first_loss']} -> "
          f"{manifest['last_loss']}, {manifest['seconds'] / 60:.1f} min, {rate} tokens/s")  # fmt: skip

    print("\n== 4. evaluate on held-out seeds", flush=True)
    everything = sorted(train_tasks + unseen)
    strides = {agent: int(n) for agent, n in (part.split("=") for part in args.every.split(",") if part)}
    models = {
        "trained": (f"local:{out / 'agent'}", None, args.timeout),
        "base": ("local", args.base_tasks.split(",") if args.base_tasks else None, args.base_timeout),
    }
    folders = {}
    for name, (spec, chosen, timeout) in models.items():
        folders[name] = out / f"eval-{name}"
        if name in skip:
            continue
        for agent in args.agents.split(","):  # the slow agents on every Nth task (alphabetically) if asked
            tasks = chosen or everything[:: strides.get(agent, 1)]
            models_of = ["--model", spec]
            if name == "trained" and args.executor:
                models_of = ["--planner-model", spec, "--executor-model", args.executor]
            planact("bench", "miniwob", "--agent", agent, *models_of, "--tasks", ",".join(tasks),
                    "--seeds", str(args.eval_seeds), "--first-seed", str(HELD_OUT_SEED), "--timeout", str(timeout),
                    "--parallel", str(args.parallel), "-o", str(folders[name]), "--json")  # fmt: skip

    demo_folders = {name: out / f"eval-demo-{name}" for name in models}
    if demo_train or demo_unseen:
        print("\n== 4b. evaluate on held-out demo-shop tasks", flush=True)
        planact("synth", "demo-tasks", "-o", str(out / "demo-eval"), "--families", ",".join(demo_train + demo_unseen),
                "--instances", str(args.demo_eval), "--first-seed", str(HELD_OUT_SEED))  # fmt: skip
        if "trained" not in skip:
            for agent in args.agents.split(","):
                planact("bench", "demo", "--task-file", str(out / "demo-eval" / "tasks.json"), "--agent", agent,
                        "--model", models["trained"][0], "--timeout", str(args.demo_timeout),
                        "--parallel", str(args.parallel), "-o", str(demo_folders["trained"]), "--json")  # fmt: skip

    groups = {
        f"trained tasks ({len(train_tasks)}), held-out seeds": set(train_tasks),
        f"unseen tasks ({len(unseen)})": set(unseen),
        f"all {len(train_tasks) + len(unseen)} planned tasks": set(train_tasks + unseen),
    }
    agents = args.agents.split(",")
    text = table(groups, folders, agents)
    if demo_train or demo_unseen:
        demo_groups = demo_task_groups(out / "demo-eval" / "tasks.json", demo_train, demo_unseen)
        text += "".join(table(demo_groups, demo_folders, agents).splitlines(keepends=True)[2:])
    for agent in agents:
        text += f"\ntrained {agent}, per task: " + ", ".join(
            f"{t} {s}" for t, s in per_task(folders["trained"], agent).items()
        )
    (out / "table.md").write_text(text + "\n")
    print("\n" + text)
    if args.ship:
        ship(args, out, manifest, counts, train_tasks, unseen, text)
    print(f"total {(time.perf_counter() - started) / 60:.1f} min; the trained model: {out / 'agent'}")


if __name__ == "__main__":
    main()
