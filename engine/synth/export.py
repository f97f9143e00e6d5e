"""Export a synth folder as chat-format JSONL for fine-tuning, with a dataset card.

Every line is ``{"messages": [system, user, assistant]}`` — the format TRL's
SFTTrainer, axolotl and most SFT tools read as is — and the assistant turn is
.pa text (planner, replanner) or action lines (executor).  The prompts are built
by the agent's own prompt functions, so training and use see the same text.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..run.planner import planner_prompt, steps_answer
from ..run.records import read_jsonl, write_whole
from ..syntax.format import format_plan
from ..syntax.parser import parse
from .examples import (
    NOT_SEEN,
    executor_examples,
    intents_only,
    planner_example,
    react_examples,
    replan_examples,
    with_goal,
)
from .expand import PAIRS, Pair
from .ground import kept

REPLANS = "replans.jsonl"
FILES = ("planner.jsonl", "replanner.jsonl", "executor.jsonl", "react.jsonl")


def build_replans(synth: Path, *, form: str = "remainder", grounded: bool = False, prompts: str = "full") -> int:
    """Write ``replans.jsonl`` in the synth folder (whole, replacing an earlier one); returns how many examples."""
    lines = [
        json.dumps(example, ensure_ascii=False)
        for _, plan, traj in kept(synth)
        for example in replan_examples(plan, traj, form=form, grounded=grounded, prompts=prompts)
    ]
    write_whole(synth / REPLANS, "".join(line + "\n" for line in lines))
    return len(lines)


def _planner_from_pair(pair: Pair, grounded: bool, prompts: str = "full") -> dict[str, Any]:
    plan = parse(pair.plan)
    target = with_goal(plan if grounded else intents_only(plan))
    prompt = planner_prompt(pair.goal, pair.site_name, pair.site_url, pair.start_page or NOT_SEEN, prompts)
    answer = steps_answer(target.steps) if prompts == "compact" else format_plan(target)
    return {"messages": [*prompt, {"role": "assistant", "content": answer}]}


def _write(path: Path, examples: Iterable[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for example in examples:
            kept = {"messages": example["messages"]}
            if example.get("revises"):
                kept["revises"] = True  # a replanning example whose answer adds a step (a mix may draw more of them)
            f.write(json.dumps(kept, ensure_ascii=False) + "\n")
            n += 1
    return n


def export(
    synth: Path, dest: Path, *, grounded_planner: bool = False, form: str = "remainder", prompts: str = "full"
) -> dict[str, int]:
    """Write planner.jsonl, replanner.jsonl, executor.jsonl and README.md to ``dest`` (all or nothing).

    ``prompts``: the prompt form of the examples (:data:`~planact.models.prompts.FORMS`); the compact
    form's replanning examples are built for it (patch answers), not read from ``replans.jsonl``.
    """
    plans = kept(synth)
    pairs = [Pair.from_line(e) for e in read_jsonl(synth / PAIRS)]
    if prompts != "full":
        replans = [e for _, p, t in plans for e in replan_examples(p, t, form=form, prompts=prompts)]
    else:
        if not (synth / REPLANS).exists():
            build_replans(synth, form=form)
        replans = read_jsonl(synth / REPLANS)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        planner = [planner_example(p, t, grounded_planner, prompts) for _, p, t in plans]
        expanded = [_planner_from_pair(pair, grounded_planner, prompts) for pair in pairs]
        counts = {
            "planner": _write(work / "planner.jsonl", planner + expanded),
            "planner, from grounded plans": len(planner),
            "planner, from expanded pairs": len(expanded),
            "replanner": _write(work / "replanner.jsonl", replans),
            "executor": _write(
                work / "executor.jsonl", [e for _, p, t in plans for e in executor_examples(p, t, prompts)]
            ),
            "react": _write(work / "react.jsonl", [e for _, _, t in plans for e in react_examples(t, prompts)]),
        }
        (work / "README.md").write_text(card(synth, counts, grounded_planner, form, prompts), encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        work.replace(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return counts


def card(synth: Path, counts: dict[str, int], grounded_planner: bool, form: str, prompts: str = "full") -> str:
    """The dataset card: what is in each file, how it was made, how to use it."""
    rows = "\n".join(f"| {name} | {n} |" for name, n in counts.items())
    return f"""# planact synthetic training data

Made by `planact synth export` from `{synth}`: grounded plans reverse-engineered from
successful trajectories by a teacher model (each checked by the parser and linter and
replayed against its site where the site answered), replanning examples at every action
index, and goal-plan pairs from plan expansion (Plan-and-Act, Erdogan et al. 2025, §4).

| examples | count |
|---|---|
{rows}

Files (JSON lines, one `{{"messages": [system, user, assistant]}}` per line):

- `planner.jsonl`: goal and start page -> the plan in the plan language
  ({"with action blocks" if grounded_planner else "steps with intents, no action blocks"}).
- `replanner.jsonl`: the plan with step statuses, what happened, the page -> the
  remaining plan ({form} form).
- `executor.jsonl`: a step, the page and the step's earlier actions -> the next action
  (`done` after a step's last one).
- `react.jsonl`: the same with no plan (the react agent's executor): the goal is the one
  step, the episode's earlier actions are taken.

The prompts are the ones planact's planner, replanner and executor send at run time, in the
`{prompts}` form{" (no language summary or example plans; the planner answers with step lines only)" if prompts == "compact" else ""};
`planact train` records the form, and a trained model is served with it.
Train with `planact train planner --data planner.jsonl`, or any SFT trainer that reads
chat messages (TRL's SFTTrainer reads these files as they are).
"""
