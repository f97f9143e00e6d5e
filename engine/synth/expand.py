"""Plan expansion (Plan-and-Act §4.3): new goal + plan pairs written by a model from seed pairs.

Each call shows the model a few seed pairs of one site (sites take turns) and asks
for new ones.  A new pair is kept only if it parses, lints clean and is not a
near-duplicate of any pair already held (seeds included): the similarity of two
pairs is that of their goals, intents and actions as text (difflib's ratio), and
one at or above the threshold is a duplicate.

Output folder::

    expanded.jsonl       the kept pairs, one per line, appended as they are kept
    expand.calls.jsonl   one line per model call: its site, seeds, and what it rejected, why

A killed run resumes where it stopped: kept pairs are read back (and deduplicated
against), and the calls continue from the last one logged, each call's seeds drawn
from a generator seeded by the call's number.
"""

from __future__ import annotations

import difflib
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..check import check_plan
from ..models.base import Model, ModelError
from ..models.prompts import conversation
from ..run.asking import complete_prefix, split_reasoning
from ..run.planner import Rejected, describe, own_site
from ..run.records import append_jsonl, read_jsonl
from ..syntax import ast
from ..syntax.diagnostics import PlanError
from ..syntax.format import format_action, format_plan
from ..syntax.parser import parse
from .ground import kept
from .trajectory import Page

PAIRS = "expanded.jsonl"
CALLS = "expand.calls.jsonl"
_PLAN_START = re.compile(r'^plan\s+"', re.MULTILINE)


@dataclass
class Pair:
    """A goal and its plan, on one site."""

    id: str
    goal: str
    site_name: str
    site_url: str
    plan: str
    start_page: Page | None = None
    seeds: tuple[str, ...] = ()
    call: int | None = None

    def line(self) -> dict[str, Any]:
        return {
            "id": self.id, "goal": self.goal, "site_name": self.site_name, "site_url": self.site_url,
            "plan": self.plan, "seeds": list(self.seeds), "call": self.call,
            "start_page": None if self.start_page is None else self.start_page.model_dump(),
        }  # fmt: skip

    @classmethod
    def from_line(cls, entry: dict[str, Any]) -> Pair:
        page = entry.get("start_page")
        return cls(
            entry["id"], entry["goal"], entry["site_name"], entry["site_url"], entry["plan"],
            None if page is None else Page.model_validate(page), tuple(entry.get("seeds", ())), entry.get("call"),
        )  # fmt: skip


def goal_of(plan: ast.Plan) -> str:
    return plan.goal.text if plan.goal else plan.title.text


def signature(plan: ast.Plan) -> str:
    """What two pairs are compared by: goal, intents and actions, lower-cased."""
    lines = [goal_of(plan)]
    for step in plan.steps:
        lines.append(step.intent.text if step.intent else step.id.name)
        lines += [format_action(a) for a in step.actions or ()]
    return "\n".join(lines).lower()


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def seed_pairs(source: Path) -> list[Pair]:
    """Seed pairs from a synth folder (its kept grounded plans) or from a folder of .pa files with one site each."""
    if (source / "ground.jsonl").exists():
        out = []
        for entry, plan, traj in kept(source):
            name, url = next(iter(traj.sites.items()), ("site", traj.start_url))
            out.append(Pair(entry["id"], goal_of(plan), name, url, format_plan(plan), traj.page_before(0)))
        return out
    out = []
    for path in sorted(source.glob("*.pa")):
        try:
            plan = parse(path.read_text(encoding="utf-8"))
        except (PlanError, OSError, UnicodeDecodeError):
            continue
        if len(plan.sites) == 1:
            site = plan.sites[0]
            out.append(Pair(path.stem, goal_of(plan), site.name.name, site.url.text, format_plan(plan)))
    return out


def split_plans(text: str) -> list[str]:
    """An answer holding several plans, cut before each ``plan "...``."""
    starts = [m.start() for m in _PLAN_START.finditer(text)]
    if not starts:
        return [text] if text.strip() else []
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


@dataclass
class Expander:
    """The settings of an expansion run (see the module note)."""

    model: Model
    per_call: int = 5  # new pairs asked for per call
    seeds_per_call: int = 5
    temperature: float = 0.7
    threshold: float = 0.85  # similarity at or above which a pair is a near-duplicate
    seed: int = 0
    max_tokens: int = 2048

    def accept(self, text: str, site: Pair, held: list[str]) -> ast.Plan:
        """One plan of an answer, or Rejected with the reason."""
        try:
            plan = own_site(parse(text), site.site_name, site.site_url)
        except PlanError as err:
            raise Rejected("does not parse: " + describe(err.diagnostics[:1]).lstrip("- ")) from None
        problems = check_plan(plan)
        if problems:
            raise Rejected("does not lint clean: " + describe(problems[:2]).replace("\n", "; "))
        mine = signature(plan)
        for other in held:
            score = similarity(mine, other)
            if score >= self.threshold:
                raise Rejected(f"a near-duplicate (similarity {score:.2f}) of {other.splitlines()[0]!r}")
        return plan

    def call(self, number: int, seeds: list[Pair], held: list[str]) -> tuple[list[Pair], list[dict[str, Any]]]:
        """One model call: the new pairs kept, and the rejected ones with their reasons."""
        from ..syntax.decoding import plan_grammar

        examples = "\n\n".join(f"# {s.goal}\n{s.plan.strip()}" for s in seeds)
        site = seeds[0]
        messages = conversation(
            "synth_expand", {}, {"site_name": site.site_name, "site_url": site.site_url, "examples": examples,
                                 "count": self.per_call},
        )  # fmt: skip
        completion = self.model.complete(
            messages, max_tokens=self.max_tokens, temperature=self.temperature,
            grammar=plan_grammar() if self.per_call == 1 else None,
        )  # fmt: skip
        _, body = split_reasoning(completion.text)
        if completion.finish_reason == "length":  # cut off by the token limit: keep its last whole plan, closed
            chunks = split_plans(body)
            body = "".join(chunks[:-1]) + complete_prefix(chunks[-1], parse) if chunks else body
        new, rejected = [], []
        chunks = split_plans(body)
        if not chunks:
            rejected.append({"reason": "the answer holds no plan"})
        for k, chunk in enumerate(chunks):
            try:
                plan = self.accept(chunk, site, held)
            except Rejected as err:
                rejected.append({"reason": str(err), "text": chunk[:400]})
                continue
            held.append(signature(plan))
            new.append(
                Pair(f"x{number:05d}-{k}", goal_of(plan), site.site_name, site.site_url, format_plan(plan),
                     site.start_page, tuple(s.id for s in seeds), number)
            )  # fmt: skip
        return new, rejected


def expand(
    seeds: list[Pair],
    expander: Expander,
    out: Path,
    n: int,
    *,
    max_calls: int | None = None,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> list[Pair]:
    """Grow ``out`` to ``n`` kept pairs (resuming any earlier run); returns all kept pairs."""
    if not seeds:
        raise ValueError("no seed pairs: give a synth folder with kept plans, or a folder of .pa plans")
    out.mkdir(parents=True, exist_ok=True)
    pairs = [Pair.from_line(e) for e in read_jsonl(out / PAIRS)]
    calls = read_jsonl(out / CALLS)
    number = max([len(calls), *[(p.call or 0) + 1 for p in pairs]])
    held = [signature(parse(s.plan)) for s in seeds] + [signature(parse(p.plan)) for p in pairs]
    by_site: dict[str, list[Pair]] = {}
    for s in seeds:
        by_site.setdefault(s.site_url, []).append(s)
    sites = sorted(by_site)
    budget = (
        max_calls if max_calls is not None else number + 4 * math.ceil(max(0, n - len(pairs)) / expander.per_call) + 4
    )
    while len(pairs) < n and number < budget:
        group = by_site[sites[number % len(sites)]]
        rng = random.Random(f"{expander.seed}:{number}")
        chosen = rng.sample(group, min(expander.seeds_per_call, len(group)))
        try:
            new, rejected = expander.call(number, chosen, held)
        except ModelError as err:
            new, rejected = [], [{"reason": f"the model failed: {err}"}]
        new = new[: n - len(pairs)]
        for pair in new:
            append_jsonl(out / PAIRS, pair.line(), sync=True, default=str)
        pairs += new
        entry = {"call": number, "site": chosen[0].site_url, "seeds": [s.id for s in chosen], "kept": len(new),
                 "rejected": rejected}  # fmt: skip
        append_jsonl(out / CALLS, entry, sync=True, default=str)
        number += 1
        if progress is not None:
            progress(len(pairs), n, entry)
    return pairs
