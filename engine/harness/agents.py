"""The agents of the paper's ablation, each a way of turning an episode's goal into a run.

=========  ==================================================================
``react``  no plan: one step whose intent is the goal, grounded turn by turn
           by the executor model (the paper's executor-only baseline)
``static`` the planner writes a plan once, the executor grounds its steps
``dynamic`` as ``static``, and the planner revises the plan after every step
``replay`` a saved grounded plan runs as written: no model at all
=========  ==================================================================

The same executor, prompts and models serve every agent, so their numbers
differ only by the planning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..browser.observe import observe
from ..models.base import Model
from ..run.asking import Asker
from ..run.executor import Agent
from ..run.planner import Planner
from ..syntax import ast
from ..syntax.format import format_string
from ..syntax.parser import parse

AGENTS = ("react", "static", "dynamic", "replay")

REACT_TURNS = 15  # the executor's turns for the one step of a react episode
STEP_TURNS = 8  # per step of a plan


class NoPlan(Exception):
    """The planner gave no plan that lints clean (the episode fails; it is not an error of the harness)."""


@dataclass
class Models:
    """The models of a benchmark run (none for ``replay``)."""

    planner: Model | None = None
    executor: Model | None = None


@dataclass
class Prepared:
    """What an agent runs in an episode: the plan and the executor's models (the planning calls made are in
    the episode's record)."""

    plan: ast.Plan
    agent: Agent


def with_sites(plan: ast.Plan, sites: dict[str, str]) -> ast.Plan:
    """The plan with each declared site whose name is in ``sites`` pointed at that URL (a live server)."""
    moved = tuple(
        s.model_copy(update={"url": ast.StringLit(parts=(sites[s.name.name],), span=s.url.span)})
        if s.name.name in sites
        else s
        for s in plan.sites
    )
    return plan.model_copy(update={"sites": moved})


def goal_plan(goal: str, sites: dict[str, str]) -> ast.Plan:
    """The react agent's plan: the goal as the intent of one step that the executor model grounds."""
    quoted = format_string(ast.StringLit(parts=(goal,)))
    lines = [f"plan {quoted}", f"goal {quoted}", ""]
    lines += [f"site {name} = {format_string(ast.StringLit(parts=(url,)))}" for name, url in sites.items()]
    lines += ["", f"step task {quoted}"]
    return parse("\n".join(lines) + "\n")


async def prepare(
    agent: str,
    goal: str,
    sites: dict[str, str],
    page: Any,
    models: Models,
    emit: Any,
    saved: Path | None = None,
    replan: str = "every-step",
) -> Prepared:
    """The plan and executor settings of one episode; the page is the task's start page, already open.
    ``replan``: when the dynamic agent revises its plan (``every-step``, the paper's; ``after-reads``)."""
    if agent == "replay":
        if saved is None or not saved.is_file():
            raise FileNotFoundError(f"no grounded plan for this task ({saved})")
        return Prepared(with_sites(parse(saved.read_text(encoding="utf-8")), sites), Agent())
    if models.executor is None:
        raise ValueError(f"the {agent} agent needs an executor model (--model or --executor-model)")
    if agent == "react":
        return Prepared(goal_plan(goal, sites), Agent(executor=models.executor, turns=REACT_TURNS))
    if models.planner is None:
        raise ValueError(f"the {agent} agent needs a planner model (--model or --planner-model)")
    name, url = next(iter(sites.items()))
    draft = await Planner(models.planner, Asker(emit)).draft(goal, name, url, await observe(page))
    if draft.plan is None:
        raise NoPlan(f"no plan that lints clean after {draft.attempts} attempts: {draft.problems[:300]}")
    replan = replan if agent == "dynamic" else "never"
    planner = models.planner if agent == "dynamic" else None
    return Prepared(draft.plan, Agent(planner=planner, executor=models.executor, replan=replan, turns=STEP_TURNS))
