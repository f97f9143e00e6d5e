"""Grounding: the executor model turns a step's intent into actions, a few at a time, on the live page.

Each turn the model sees the step, the plan, the page (accessibility-tree text
with ``[ref=eN]`` references) and the actions already taken, and answers with
action lines and, once the intent is achieved, ``done``.  An answer is checked
before anything runs: it must parse (action grammar), every ``ref`` must name
an element of the observation it saw, and every ``goto`` must stay on a
declared site.  A bad answer is rejected with its reason and asked again.  The
turns are bounded twice: a turn *stalls* when its answer was rejected, its action
failed or the page's elements (the lines with a reference, their values and
states) are the same after it, and ``turns`` stalled turns end the step; a turn
that changed them does not count against that budget (paging through a calendar
or a list takes as many clicks as it takes), but ``most`` turns in all end it
too.  An element a click, fill, check, ... (:data:`REPEATLESS`) acted on to no effect is left out of the
page's grammar until the page changes, and an answer that repeats such an action is rejected (for a model
decoding without the grammar): a small model otherwise ticks the same checkbox until its budget is spent,
even when told.  Actions that ran are kept with semantic targets (a
reference only means something within one observation), so the step can be
written back, grounded, for a later run with no model.

:class:`Grounder` is a hook of the run's lifecycle (``lifecycle.py``): the executor installs it when
the run has an executor model, and asks it (``ground_step``) for every step with no actions and for a
plain step whose written action failed on the page (self-healing); what it did is written back into
the step by the executor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from ..browser.actions import ActionFailed, ActionResult
from ..browser.observe import Observation, observe
from ..browser.targets import stable_target
from ..lang.evaluate import EvaluationError, Secret, evaluate
from ..lang.origins import origin_of
from ..models.base import Message, Model
from ..models.prompts import conversation, form_of
from ..syntax import ast
from ..syntax.diagnostics import PlanError
from ..syntax.format import format_action
from ..syntax.parser import parse_reply
from . import events
from .asking import Asker, complete_prefix, split_reasoning
from .lifecycle import Lifecycle
from .planner import describe

if TYPE_CHECKING:
    from .executor import Executor

_ELEMENT = r'^\s*- (\S+)(?: "((?:[^"\\]|\\.)*)")?'  # an observation line's role and quoted name
_SHOWN_LINE = re.compile(_ELEMENT)
_REF_LINE = re.compile(_ELEMENT + r".*\[ref=(e\d+)\]")

Perform = Callable[[ast.Action, dict[str, Any]], Awaitable[ActionResult]]


class GroundingFailed(Exception):
    """The model did not complete the step within its budget."""


MOST_TURNS_PER_STALL = 3  # turns in all a step may take, for each turn it may stall
# actions not taken again right after they ran and changed nothing (a small model repeats its last answer); a key
# press, a scroll or a wait may do what the observation does not show, and a read changes nothing by design
REPEATLESS = frozenset({"click", "fill", "select", "check", "uncheck", "hover"})


def elements_of(tree: str) -> list[str]:
    """The lines of an observation's tree text that show an element with a reference (its role, name, value,
    states and ref): what an action can change on a page, without the texts (a timer's among them)."""
    return [line.strip() for line in tree.splitlines() if "[ref=" in line]


def references(tree: str) -> dict[str, tuple[str, str]]:
    """``{ref: (role, name)}`` for every element an observation's tree text shows with a reference."""
    found = {}
    for line in tree.splitlines():
        m = _REF_LINE.match(line)
        if m:
            found[m.group(3)] = (m.group(1), _unquoted(m.group(2)))
    return found


def shown(tree: str) -> list[tuple[str, str]]:
    """``(role, name)`` of every element an observation's tree text shows, with a reference or without one
    (a heading, a text)."""
    return [(m.group(1), _unquoted(m.group(2))) for m in map(_SHOWN_LINE.match, tree.splitlines()) if m]


def _unquoted(name: str | None) -> str:
    return (name or "").replace('\\"', '"')


@dataclass
class Grounded:
    """What grounding did for one step: the actions that ran (stable targets), its value and answer."""

    actions: list[ast.Action] = field(default_factory=list)
    value: Any = None
    answer: Any = None
    answered: bool = False
    turns: int = 0


class Grounder(Lifecycle):
    """Runs the executor model's turns for one step at a time; as a hook, it does every step it is asked to."""

    def __init__(
        self,
        model: Model,
        asker: Asker,
        sites: Mapping[str, str],
        *,
        turns: int = 8,
        most: int | None = None,
        max_tokens: int = 256,
    ) -> None:
        self.model, self.asker, self.sites = model, asker, sites
        self.turns, self.max_tokens = max(1, turns), max_tokens
        self.most = max(self.turns, most if most is not None else MOST_TURNS_PER_STALL * self.turns)
        self.origins = {origin_of(u) for u in sites.values()}

    def grounds(self, run: Executor, step: ast.Step) -> bool:
        return True

    async def ground_step(
        self, run: Executor, step: ast.Step, scope: dict[str, Any], failure: str | None
    ) -> Grounded | None:
        """The step done on the run's page, seeing the live plan; each action performed through the run."""
        perform = partial(run.act, step.id.name)
        return await self.ground(run.session.page, step, scope, run.live().annotated(), run.goal(), perform, failure)

    async def ground(
        self,
        page: Any,
        step: ast.Step,
        scope: dict[str, Any],
        plan_text: str,
        goal: str,
        perform: Perform,
        reason: str | None = None,
    ) -> Grounded:
        from ..syntax.decoding import page_reply_grammar

        form = form_of(self.model)

        scrub = self.asker.scrub | [v.reveal() for v in scope.values() if isinstance(v, Secret)]
        shown = {k: v if isinstance(v, Secret) else scrub.value(v) for k, v in scope.items()}  # cut short in prompts
        out = Grounded()
        taken: list[str] = []
        feedback = f"Earlier actions for this step failed: {reason}\n" if reason else ""
        stalled, before, acted, last, idle = 0, None, False, None, None
        withheld: set[str] = set()  # refs of elements acted on since the page last changed, to no effect
        why = "the most a step may take"
        for turn in range(1, self.most + 1):
            seen = (await observe(page)).masked(scrub)  # a secret never reaches a prompt
            now = elements_of(seen.tree)
            if before is not None:
                changed = now != before
                stalled = 0 if acted and changed else stalled + 1
                if changed:
                    idle = None
                    withheld.clear()
                elif acted:  # the last action ran and changed nothing
                    idle = last[0]
                    withheld.update([last[1]] if last[1] and last[2] in REPEATLESS else [])
                if stalled >= self.turns:
                    why = f"the last {self.turns} changed nothing on the page" if turn - 1 > self.turns else ""
                    break
            out.turns, before, acted, last = turn, now, False, None
            messages = executor_prompt(goal, plan_text, step, shown, self.sites, seen, taken, feedback, form)
            refs = references(seen.tree)
            offered = {ref: described for ref, described in refs.items() if ref not in withheld}
            completion = await self.asker.ask(
                self.model, messages, role="executor", purpose="ground", step=step.id.name,
                grammar=page_reply_grammar(offered, one=form == "compact"), max_tokens=self.max_tokens,
            )  # fmt: skip
            _, body = split_reasoning(completion.text)
            if completion.finish_reason == "length":  # cut off mid-action: keep the whole actions before it
                body = complete_prefix(body, parse_reply)
            try:
                reply = self._check(body, refs, scope)
                actions = [as_given(action, goal, seen.tree, shown) for action in reply.actions]
                if actions and actions[0].op in REPEATLESS and format_action(actions[0]) == idle:
                    raise _Bad(f"`{idle}` ran the turn before and changed nothing on the page: answer another action, "
                               "or `done` if the step is done")  # fmt: skip
            except _Bad as err:
                self.asker.emit(
                    events.ModelRejected(role="executor", purpose="ground", step=step.id.name, reason=str(err))
                )
                feedback = f"Your last answer was rejected: {err}\n"
                continue
            feedback = ""
            for action in actions:
                text = format_action(action)
                stable = action.model_copy(
                    update={f: await stable_target(page, getattr(action, f), refs) for f in action._target_fields
                            if getattr(action, f) is not None}
                )  # fmt: skip
                try:
                    done = await perform(action, scope)
                except ActionFailed as err:
                    line, feedback = failed_lines(text, err)
                    taken.append(line)
                    acted = False  # a failed action stalls the turn, whatever ran before it
                    break
                acted, last = True, (text, done.target.ref if done.target else None, action.op)
                out.actions.append(stable)
                taken.append(taken_line(text, scrub.value(done.value)))
                if isinstance(action, ast.Extract):
                    out.value = done.value
                elif isinstance(action, ast.Answer):
                    out.answer, out.answered = done.value, True
                    return out
            else:
                if reply.done:
                    return out
        raise GroundingFailed(
            f"the executor model did not finish step `{step.id.name}` in {out.turns} turns"
            + (f" ({why})" if why else "")
            + (f" (last problem: {feedback.strip()})" if feedback else "")
        )

    def _check(self, body: str, refs: Mapping[str, tuple[str, str]], scope: Mapping[str, Any]) -> ast.Reply:
        """The parsed answer, or :class:`_Bad` naming what is wrong with it."""
        if not body.strip():
            raise _Bad("the answer holds no action and no `done`")
        try:
            reply = parse_reply(body)
        except PlanError as err:
            raise _Bad(describe(err.diagnostics)) from None
        if not reply.actions and not reply.done:
            raise _Bad("the answer holds no action and no `done`")
        for action in reply.actions:
            wrong = _wrong_role(action, refs)
            if wrong:
                raise _Bad(f"`{format_action(action)}`: {wrong}")
            for target in action.targets():
                for t in _chain(target):
                    if t.kind == "ref":
                        name = t.name.text if t.name else ""
                        if name not in refs:
                            raise _Bad(f"`{format_action(action)}`: the page has no element [ref={name}]")
            if isinstance(action, ast.Goto):
                if action.site is not None:
                    if action.site.name not in self.sites:
                        raise _Bad(f"`{format_action(action)}`: no site `{action.site.name}` is declared")
                else:
                    try:
                        url = evaluate(action.url, scope)
                    except EvaluationError as err:
                        raise _Bad(f"`{format_action(action)}`: {err}") from None
                    if origin_of(str(url)) not in self.origins:
                        raise _Bad(f"`{format_action(action)}`: {url} is outside the declared sites")
        return reply


class _Bad(Exception):
    pass


def as_given(action: ast.Action, goal: str, tree: str, scope: Mapping[str, Any]) -> ast.Action:
    """The action with the text it types spelled as the user gave it: a ``fill`` value (a plain string) that
    neither the goal, the page nor a variable holds as written, but that the goal holds once as a whole
    phrase in other letter case (``We`` for the password ``WE``), becomes the goal's.  A small model copies
    a value's words far better than their case; anything else it wrote is left as it is."""
    value = getattr(action, "value", None)
    if not isinstance(action, ast.Fill) or not isinstance(value, ast.StringLit) or value.refs or not value.text:
        return action
    typed = value.text
    held = [goal, tree, *(str(v) for v in scope.values() if isinstance(v, str | int | float))]
    if any(typed in text for text in held):
        return action
    found = re.findall(rf"(?<!\w){re.escape(typed)}(?!\w)", goal, flags=re.IGNORECASE)
    if len(set(found)) != 1:
        return action
    return action.model_copy(update={"value": ast.StringLit(parts=(found[0],))})


def _wrong_role(action: ast.Action, refs: Mapping[str, tuple[str, str]]) -> str | None:
    """What is wrong with the element an action that only some roles take (``fill`` a text box, ...) names:
    a ref of the page or a role of another kind (the page grammar allows neither; a model decoding without
    it is told so).  None when it fits, or when its kind (``label``, ``css``, ...) does not say."""
    from ..syntax.decoding.page import ACTION_ROLES

    roles, target = ACTION_ROLES.get(getattr(action, "op", "")), getattr(action, "target", None)
    if roles is None or target is None:
        return None
    if target.kind == "ref":
        ref = target.name.text if target.name else ""
        role = refs.get(ref, ("", ""))[0]
        what = f"[ref={ref}] is a {role or 'element'}"
    elif target.kind in ast.ROLE_KINDS:
        role, what = target.kind, f"a {target.kind} is named"
    else:
        return None
    if role in roles or not role:
        return None
    return f"{what}, and `{action.op}` takes a {' or '.join(sorted(roles))}"


def _chain(target: ast.Target | None):
    while target is not None:
        yield target
        target = target.within


def _type_text(step: ast.Step) -> str:
    from ..syntax.format import format_type

    return format_type(step.output) if step.output is not None else ""


def executor_prompt(
    goal: str,
    plan_text: str,
    step: ast.Step,
    scope: Mapping[str, Any],
    sites: Mapping[str, str],
    seen: Observation,
    taken: list[str],
    feedback: str = "",
    form: str = "full",
) -> list[Message]:
    """The executor model's prompt for one turn of a step (synthetic executor data is built by it too).

    The plan is shown by its steps: its header (title, sites, inputs) says again what the goal, the sites
    and the variables lines say, and an executor prompt is read at every turn of every step.  The
    ``compact`` form (a model fine-tuned on planact's data) leaves the plan out, and such a model answers
    one action per turn and ``done`` on a turn of its own, once it sees the page the last action left."""
    return conversation(
        "executor",
        {},
        {
            "goal": goal, "plan": plan_steps(plan_text), "step": step.id.name,
            "intent": step.intent.text if step.intent else step.id.name,
            "output": f" (its output: {_type_text(step)})" if step.output is not None else "",
            "variables": _variables(scope), "sites": ", ".join(f"{k} = {v}" for k, v in sites.items()),
            "url": seen.url, "title": seen.title, "observation": seen.tree,
            "taken": "\n".join(taken) or "(none yet)", "feedback": feedback,
        },
        form,
    )  # fmt: skip


def taken_line(action: str, value: Any) -> str:
    """An action as the executor's prompt lists it among those taken: a read's value after it."""
    return action if value is None else f"{action}    # → {json.dumps(value, ensure_ascii=False)[:80]}"


def failed_lines(action: str, err: object) -> tuple[str, str]:
    """An action that failed as the executor's prompt shows it: its line among those taken, and the feedback
    line after them (synthetic retry turns are built by it too)."""
    return f"{action}    # failed: {err}", f"The action `{action}` failed: {err}\n"


def plan_steps(plan_text: str) -> str:
    """The plan text from its first step on (its header left out); the whole text if it has no step."""
    lines = plan_text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("step ")), None)
    return plan_text if first is None else "\n".join(lines[first:]).strip() + "\n"


def _variables(scope: Mapping[str, Any]) -> str:
    shown = []
    for name, value in scope.items():
        if name == "page":
            continue
        text = "(secret)" if isinstance(value, Secret) else json.dumps(value, ensure_ascii=False, default=str)[:60]
        shown.append(f"{name} = {text}")
    return ", ".join(shown) or "(none)"
