"""The planner: a goal becomes a plan, and a running plan becomes its next revision.

Both go through the same gate: the model's answer is split from its reasoning,
parsed and linted (``# noqa`` in a model answer suppresses nothing), and a
failing answer is sent back with its diagnostics — a bounded number of times —
so that no plan that does not lint clean is ever written or run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..check import check_plan
from ..models.base import Message, Model
from ..models.prompts import conversation, form_of
from ..syntax import ast
from ..syntax.diagnostics import Diagnostic, PlanError
from ..syntax.format import format_plan, format_step, format_string
from ..syntax.parser import parse, parse_patch
from . import events
from .asking import Asker, complete_prefix, split_reasoning


class Rejected(Exception):
    """A model answer that cannot be used; the message says why (it goes back to the model)."""


# the compact planner's and replanner's answers are a few step lines (19 and 17 tokens on average in planact's
# MiniWoB++ data): a budget for those, not for a runaway action block
COMPACT_REVISION_TOKENS = 192
SHOWN_PROBLEMS = 12  # a degenerate answer can have hundreds; the re-ask must still fit the model's context


def describe(diagnostics: list[Diagnostic]) -> str:
    """The problems of an answer as a list for the model, at most :data:`SHOWN_PROBLEMS` of them."""
    lines = []
    for d in diagnostics[:SHOWN_PROBLEMS]:
        where = f"line {d.span.line}: " if d.span.line else ""
        lines.append(f"- {where}{d.code} {d.message}" + (f" ({d.help})" if d.help else ""))
    if len(diagnostics) > SHOWN_PROBLEMS:
        lines.append(f"- and {len(diagnostics) - SHOWN_PROBLEMS} more problems")
    return "\n".join(lines)


def ask_again(prompt: list[Message], answer: str, request: str, asked: list[Message] | None = None) -> list[Message]:
    """The prompt, the rejected answer and what to fix: only the latest answer goes back, so the
    conversation stays as long as one prompt, one answer and one list of problems however often it is asked.

    ``asked`` is the conversation that got ``answer``: when it ended with this very answer rejected already,
    the request says so (otherwise the next conversation would be the last one again, and a model that
    decodes greedily would give the same answer again).
    """
    if asked is not None and len(asked) > len(prompt) and asked[len(prompt)]["content"] == answer:
        request = "That is the same answer as before, with the same problems: write a different one.\n" + request
    return [*prompt, {"role": "assistant", "content": answer}, {"role": "user", "content": request}]


def _examples() -> str:
    from importlib import resources

    root = resources.files("planact").joinpath("plans/examples")
    chosen = ("01-search-and-sort.pa", "03-add-to-cart-if-cheap.pa")
    texts = []
    for name in chosen:
        entry = root.joinpath(name)
        if entry.is_file():
            texts.append(entry.read_text(encoding="utf-8").strip())
    return "\n\n".join(texts)


def planner_prompt(goal: str, site_name: str, site_url: str, observation: Any, form: str = "full") -> list[Message]:
    """The planner's prompt for a goal on a site whose start page is ``observation`` (url, title, tree)."""
    return conversation(
        "planner",
        {"examples": _examples() if form == "full" else ""},
        {
            "goal": goal, "site_name": site_name, "site_url": site_url, "url": observation.url,
            "title": observation.title, "observation": observation.tree, "feedback": "",
        },
        form,
    )  # fmt: skip


def replanner_prompt(live: LiveView, event: str, observation: Any, form: str = "full") -> list[Message]:
    """The replanner's prompt: the live plan, what just happened, and the page now."""
    return conversation(
        "replanner",
        {},
        {
            "goal": live.goal, "revision": live.revision, "plan": live.annotated(), "event": event,
            "url": observation.url, "title": observation.title, "observation": observation.tree, "feedback": "",
        },
        form,
    )  # fmt: skip


def steps_answer(steps: list[ast.Step] | tuple[ast.Step, ...]) -> str:
    """Steps as the compact planner writes them: their lines, no header (the engine knows goal and site)."""
    return "".join(line + "\n" for step in steps for line in format_step(step))


def with_header(body: str, goal: str, site_name: str, site_url: str) -> str:
    """A compact planner answer (step lines) as a whole plan: the goal as title and goal, the given site."""
    quoted = format_string(ast.StringLit(parts=(goal,)))
    site = format_string(ast.StringLit(parts=(site_url,)))
    return f"plan {quoted}\ngoal {quoted}\n\nsite {site_name} = {site}\n\n{body.strip()}\n"


@dataclass
class Draft:
    """The outcome of planning: a plan that lints clean, or the last problems."""

    plan: ast.Plan | None
    text: str
    attempts: int
    problems: str = ""
    reasoning: list[str] = field(default_factory=list)


class Planner:
    """Asks a model for plans and revisions; rejects and re-asks on bad answers."""

    def __init__(self, model: Model, asker: Asker, attempts: int = 3, max_tokens: int = 1024) -> None:
        self.model, self.asker, self.attempts, self.max_tokens = model, asker, max(1, attempts), max_tokens

    # ------------------------------------------------------------ planning

    async def draft(self, goal: str, site_name: str, site_url: str, observation: Any) -> Draft:
        """A plan for ``goal`` on the site at ``site_url`` whose start page is ``observation``."""
        from ..syntax.decoding import plan_grammar, steps_grammar

        form = form_of(self.model)
        compact = form == "compact"
        messages = prompt = planner_prompt(goal, site_name, site_url, observation, form)
        grammar = steps_grammar() if compact else plan_grammar()
        budget = min(self.max_tokens, COMPACT_REVISION_TOKENS) if compact else self.max_tokens
        draft = Draft(None, "", 0)
        for attempt in range(1, self.attempts + 1):
            draft.attempts = attempt
            completion = await self.asker.ask(
                self.model, messages, role="planner", purpose="plan", grammar=grammar, max_tokens=budget
            )
            reasoning, body = split_reasoning(completion.text)
            if completion.finish_reason == "length":
                body = complete_prefix(body, parse_patch if compact else parse)
                if compact:
                    body = self._until_repeat(body)
            if reasoning:
                draft.reasoning.append(reasoning)
            draft.text = body
            try:
                if compact:
                    body = self._steps_only(body, goal, site_name, site_url)
                    draft.text = body
                draft.plan = self._accept_draft(body, site_name, site_url)
                draft.problems = ""
                return draft
            except Rejected as err:
                draft.problems = str(err)
                self.asker.emit(events.ModelRejected(role="planner", purpose="plan", step=None, reason=str(err)))
                again = "Write the steps again, fixed." if compact else "Write the whole plan again, fixed."
                messages = ask_again(prompt, completion.text, f"That plan has problems:\n{err}\n{again}", messages)
        return draft

    def _until_repeat(self, body: str) -> str:
        """A compact answer that ran out of tokens, cut before its first step whose id an earlier step has.

        A small model that loops (``step add ...`` again and again until its budget is spent) has written
        its plan before the loop; the repeats make it fail the lint (duplicate names) on every attempt,
        and asking again gets the same loop.  The steps before the first repeat are kept (a warning says
        so); an answer with no repeated id, or that does not parse, is returned as it is."""
        try:
            items = parse_patch(body).items
        except PlanError:
            return body
        seen: set[str] = set()
        for position, item in enumerate(items):
            if not isinstance(item, ast.Step):  # a `remove` line: `_steps_only` says why it cannot be
                return body
            if item.id.name in seen:
                self.asker.emit(events.Warning_(step=None, message=(
                    f"the planner's answer ran out of tokens repeating step `{item.id.name}`: kept the "
                    f"{position} steps before the repeat"
                )))  # fmt: skip
                return steps_answer(items[:position])
            seen.add(item.id.name)
        return body

    @staticmethod
    def _steps_only(body: str, goal: str, site_name: str, site_url: str) -> str:
        """The whole plan of a compact answer (step lines only); raises :class:`Rejected`."""
        try:
            patch = parse_patch(body)
        except PlanError as err:
            raise Rejected(describe(err.diagnostics)) from None
        if not patch.items:
            raise Rejected('the answer holds no steps: write one `step ID "intent"` line per step')
        if any(isinstance(item, ast.Remove) for item in patch.items):
            raise Rejected("a new plan has no steps to remove: write only `step` lines")
        return with_header(steps_answer(patch.items), goal, site_name, site_url)

    @staticmethod
    def _accept_draft(body: str, site_name: str, site_url: str) -> ast.Plan:
        if not body.strip():
            raise Rejected('the answer holds no plan: start with `plan "TITLE"`')
        try:
            plan = parse(body)
        except PlanError as err:
            raise Rejected(describe(err.diagnostics)) from None
        plan = own_site(plan, site_name, site_url)
        problems = check_plan(plan)  # no source: a noqa comment in a model's answer suppresses nothing
        if problems:
            raise Rejected(describe(problems))
        return plan

    # ------------------------------------------------------------ replanning

    async def revise(self, live: LiveView, event: str, observation: Any) -> tuple[ast.Plan, str] | None:
        """The next revision of the live plan after ``event``; ``None`` when the model keeps the plan.

        Raises :class:`Rejected` (with every reason) when no answer within the
        budget was usable.
        """
        from ..syntax.decoding import revision_grammar

        form = form_of(self.model)
        messages = prompt = replanner_prompt(live, event, observation, form)
        budget = min(self.max_tokens, COMPACT_REVISION_TOKENS) if form == "compact" else self.max_tokens
        reasons = []
        for _ in range(self.attempts):
            completion = await self.asker.ask(
                self.model, messages, role="planner", purpose="replan", grammar=revision_grammar(),
                max_tokens=budget,
            )  # fmt: skip
            reasoning, body = split_reasoning(completion.text)
            if completion.finish_reason == "length":
                body = complete_prefix(body, parse if body.lstrip().startswith("plan") else parse_patch)
            try:
                plan = live.merge(body)
                return None if plan is None else (plan, reasoning)
            except Rejected as err:
                reasons.append(str(err))
                self.asker.emit(events.ModelRejected(role="planner", purpose="replan", step=None, reason=str(err)))
                messages = ask_again(
                    prompt, completion.text, f"That revision cannot be used:\n{err}\nAnswer again, fixed.", messages
                )
        raise Rejected("; ".join(reasons))


SHOWN_OUTPUT_CHARS = 300  # of a finished step's output in the replanner's view (a list of links, a form's text)


@dataclass
class LiveView:
    """What the replanner sees of a running plan, and how its answers are merged into it."""

    plan: ast.Plan  # the live plan (the graph's current revision)
    status: dict[str, str]  # step -> pending | running | done | skipped | failed
    outputs: dict[str, Any]
    revision: int
    errors: dict[str, str] = field(default_factory=dict)  # failed step -> its error

    @property
    def goal(self) -> str:
        return self.plan.goal.text if self.plan.goal else self.plan.title.text

    def finished(self, step_id: str) -> bool:
        """Done, skipped or running steps are history; a failed step may still be rewritten or removed."""
        return self.status.get(step_id, "pending") not in ("pending", "failed")

    def annotated(self) -> str:
        """The plan as text, each step with a trailing comment: its status and output (secret defaults hidden)."""
        steps = []
        for step in self.plan.steps:
            name = step.id.name
            note = self.status.get(name, "pending")
            if name in self.outputs and self.outputs[name] is not None:
                note += " → " + json.dumps(self.outputs[name], ensure_ascii=False)[:SHOWN_OUTPUT_CHARS]
            if name in self.errors:
                note += ": " + self.errors[name][:160]
            steps.append(step.model_copy(update={"trailing": note}))
        inputs = tuple(
            i.model_copy(update={"default": None})
            if isinstance(i.type, ast.ScalarType) and i.type.name == "secret" else i
            for i in self.plan.inputs
        )  # fmt: skip
        return format_plan(self.plan.model_copy(update={"steps": tuple(steps), "inputs": inputs}))

    def merge(self, body: str) -> ast.Plan | None:
        """The live plan with the answer applied (``None``: no change); raises :class:`Rejected`."""
        try:
            if body.lstrip().startswith("plan"):
                steps = self._whole(parse(body))
            else:
                patch = parse_patch(body)
                if not patch.items:
                    return None
                steps = self._patched(patch)
        except PlanError as err:
            raise Rejected(describe(err.diagnostics)) from None
        plan = self.plan.model_copy(update={"steps": tuple(steps)})
        before = {(d.code, d.message) for d in check_plan(self.plan)}
        problems = [d for d in check_plan(plan) if (d.code, d.message) not in before]
        if problems:
            raise Rejected(describe(problems))
        if plan == self.plan:
            return None
        return plan

    def _whole(self, answer: ast.Plan) -> list[ast.Step]:
        """A whole-plan answer: finished steps stay as they ran, the answer's other steps follow.

        A finished step is history: the answer's lines for it, whatever they say (its intent again, the
        actions it ran, other ones), are read as restating it and left out, and the rest of the answer is
        used.  Refusing the whole answer for them cost a small replanner two or three more calls and most
        often the revision (27 of 145 replanning answers of the trained 135M agent named a done step)."""
        kept = [s for s in self.plan.steps if self.finished(s.id.name)]
        return kept + [step for step in answer.steps if not self.finished(step.id.name)]

    def _patched(self, patch: ast.Patch) -> list[ast.Step]:
        """A patch answer: pending steps named are replaced, new ones inserted after the last one named (or
        the finished steps), ``remove step`` drops a pending one; a finished step named, as in
        :meth:`_whole`, is left as it ran."""
        steps = list(self.plan.steps)
        ids = [s.id.name for s in steps]
        finished = [i for i, s in enumerate(steps) if self.finished(s.id.name)]
        cursor = finished[-1] + 1 if finished else 0
        for item in patch.items:
            name = item.id.name
            if name in ids and self.finished(name):
                continue  # a finished step named again (restated, rewritten, removed): history, left as it ran
            if isinstance(item, ast.Remove):
                if name not in ids:
                    raise Rejected(f"`remove step {name}`: the plan has no step `{name}`")
                index = ids.index(name)
                del steps[index], ids[index]
                cursor = index if index < cursor else cursor
                continue
            if name in ids:
                index = ids.index(name)
                steps[index] = item
                cursor = index + 1
            else:
                steps.insert(cursor, item)
                ids.insert(cursor, name)
                cursor += 1
        return steps


def own_site(plan: ast.Plan, site_name: str, site_url: str) -> ast.Plan:
    """The site is the engine's fact, not the model's guess: one declared site is set to the given one.

    A small model copies the site line of its examples (``site shop = ...``);
    the name and URL are replaced, and ``goto OLD "/path"`` follows the rename.
    No site at all gets the given one; two or more are rejected.
    """
    if len(plan.sites) > 1:
        raise Rejected(f'declare exactly one site, the given one: site {site_name} = "{site_url}"')
    given = parse(f'plan "x"\nsite {site_name} = "{site_url}"\n').sites[0]
    old = plan.sites[0].name.name if plan.sites else None
    if old is None or old == site_name:
        return plan.model_copy(update={"sites": (given,)})
    text = format_plan(plan.model_copy(update={"sites": (given,)}))
    text = text.replace(f"goto {old} ", f"goto {site_name} ")
    return parse(text)
