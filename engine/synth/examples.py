"""Training examples from grounded plans, built by the very prompt functions the agent uses at run time.

- planner: goal + start page -> the plan (intents only, as a planner writes it; or grounded);
- replanner (Plan-and-Act §4.2): for every action index of the trajectory, the plan as
  it stands (finished steps done, with their outputs), what just happened and the page
  -> the remaining plan, grounded in the true future actions;
- executor: for every action, the step, the page before it and the step's earlier
  actions -> that action (and ``done`` after a step's last one);
- react: the same with no plan, the goal as the one step (the plan-less agent's executor).

So a model fine-tuned on them sees at run time exactly the prompts it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..browser.targets import DESCRIBED_CHARS, ambiguous
from ..lang.evaluate import Secret
from ..models.base import Message
from ..run.grounding import executor_prompt, failed_lines, references, shown, taken_line
from ..run.planner import LiveView, planner_prompt, replanner_prompt, steps_answer
from ..syntax import ast
from ..syntax.format import format_action, format_plan, format_step, format_target
from ..syntax.parser import parse_reply
from .trajectory import Page, Trajectory, TrajectoryAction

NOT_SEEN = Page(url="", title="", tree="(the page was not recorded)")


@dataclass
class Spans:
    """Which actions of the trajectory each step of a grounded plan covers."""

    plan: ast.Plan
    starts: list[int]  # index of each step's first action

    @classmethod
    def of(cls, plan: ast.Plan) -> Spans:
        starts, n = [], 0
        for step in plan.steps:
            starts.append(n)
            n += len(step.actions or ())
        return cls(plan, starts)

    def locate(self, index: int) -> tuple[int, int]:
        """(step position, offset in the step) of action ``index``."""
        position = max(i for i, start in enumerate(self.starts) if start <= index)
        return position, index - self.starts[position]


def intents_only(plan: ast.Plan) -> ast.Plan:
    """The plan as a planner writes it: steps with intents, outputs kept, action blocks dropped."""
    return plan.model_copy(update={"steps": tuple(s.model_copy(update={"actions": None}) for s in plan.steps)})


def with_goal(plan: ast.Plan) -> ast.Plan:
    """The plan with ``goal`` stated (the planner's prompt asks for the goal line)."""
    return plan if plan.goal is not None else plan.model_copy(update={"goal": plan.title})


def _page(traj: Trajectory, index: int) -> Page:
    page = traj.page_before(index)
    if page is not None:
        return page
    url = traj.actions[index - 1].url if index > 0 else traj.start_url
    return Page(url=url or "", title="", tree=NOT_SEEN.tree)


def _outputs(plan: ast.Plan, traj: Trajectory, done: int) -> dict[str, Any]:
    """The outputs of the first ``done`` steps: what their last extract action read (a step that declares
    no output too: the run shows the replanner what it read)."""
    spans, out = Spans.of(plan), {}
    for position, step in enumerate(plan.steps[:done]):
        start = spans.starts[position]
        for offset, action in enumerate(step.actions or ()):
            if isinstance(action, ast.Extract):
                out[step.id.name] = traj.actions[start + offset].value
    return out


def _chat(prompt: list[Message], answer: str) -> dict[str, Any]:
    return {"messages": [*prompt, {"role": "assistant", "content": answer}]}


def planner_example(plan: ast.Plan, traj: Trajectory, grounded: bool = False, form: str = "full") -> dict[str, Any]:
    """Goal and start page -> the plan (``compact`` form: its step lines only, as that planner answers): the
    steps that ran, less those the start could not tell would run (:func:`known_steps`)."""
    site_name, site_url = next(iter(traj.sites.items()), ("site", traj.start_url))
    known = known_steps(plan, traj, 0)
    target = with_goal(known if grounded else intents_only(known))
    answer = steps_answer(target.steps) if form == "compact" else format_plan(target)
    return _chat(planner_prompt(traj.task, site_name, site_url, _page(traj, 0), form), answer)


def known_steps(plan: ast.Plan, traj: Trajectory, finished: int) -> ast.Plan:
    """The plan as it could be written once its first ``finished`` steps had run: a step the run revealed
    (its condition or loop reads what other steps read: :attr:`Trajectory.revealed_by`) is left out until
    those of its steps that ran are among the finished ones, or what they read is on the first page
    already (:func:`_shown_at_start`).  So the planner is taught the steps the goal and the first page
    tell, and the replanner to add a step when an output shows it is needed (the session warning that
    popped up, the hidden tab that holds the link) -- a revision, not a copy of the plan."""
    revealers = {r for names in traj.revealed_by.values() for r in names}
    if not revealers:
        return plan
    ran = {s.id.name for s in plan.steps}
    done = {s.id.name for s in plan.steps[:finished]}
    read = _outputs(plan, traj, len(plan.steps))
    done |= {r for r in revealers if r in read and _shown_at_start(read[r], traj)}
    steps = tuple(
        s for i, s in enumerate(plan.steps)
        if i < finished or all(r in done or r not in ran for r in traj.revealed_by.get(s.id.name, ()))
    )  # fmt: skip
    return plan if len(steps) == len(plan.steps) else plan.model_copy(update={"steps": steps})


def _shown_at_start(value: Any, traj: Trajectory) -> bool:
    """Whether the first page shows what a step read: every item of it (a string: the whole of it) is part
    of a name the start page's observation shows (case aside)."""
    page = traj.page_before(0)
    items = [str(v).strip().casefold() for v in (value if isinstance(value, list) else [value]) if v is not None]
    names = [name.casefold() for _, name in shown(page.tree)] if page is not None else []
    return bool(items) and all(item and any(item in name for name in names) for item in items)


def _live(
    plan: ast.Plan, traj: Trajectory, done: int, running: int | None = None, shown: ast.Plan | None = None
) -> LiveView:
    """The plan as the replanner or executor sees it with the first ``done`` steps finished.

    Finished steps show the actions they ran (as the engine writes grounded steps
    back); pending steps show their intents only, as a planner drafted them, and only those of ``shown``
    (default: those known once the ``done`` steps had run, :func:`known_steps`).
    """
    outputs = _outputs(plan, traj, done)
    running_id = plan.steps[running].id.name if running is not None else None
    plan = known_steps(plan, traj, done) if shown is None else shown
    steps = tuple(s if i < done else s.model_copy(update={"actions": None}) for i, s in enumerate(plan.steps))
    status = {s.id.name: "done" if i < done else "pending" for i, s in enumerate(plan.steps)}
    if running_id is not None:
        status[running_id] = "running"
    return LiveView(plan.model_copy(update={"steps": steps}), status, outputs, 0)


def replan_examples(
    plan: ast.Plan, traj: Trajectory, *, form: str = "remainder", grounded: bool = False, prompts: str = "full"
) -> list[dict[str, Any]]:
    """One replanning example per action index (see the module note); ``form``: remainder | patch;
    ``prompts``: the prompt form (``compact`` prompts answer in patch form)."""
    if prompts == "compact":
        form = "patch"
    spans, out = Spans.of(plan), []
    for index in range(len(traj.actions)):
        position, offset = spans.locate(index)
        step = plan.steps[position]
        if offset == 0:
            event = "The run is starting." if position == 0 else f"Step {plan.steps[position - 1].id.name} finished."
        else:
            taken = "\n".join(f"    {a.text()}" for a in traj.actions[index - offset : index])
            event = f"Step {step.id.name} is under way; its actions so far:\n{taken}"
        # the plan as revised last: after the step before this one finished (at a step's start), or this one
        # started (under way); a step an output just revealed is in the answer, not yet in the plan shown
        shown = known_steps(plan, traj, max(position - 1, 0) if offset == 0 else position)
        known = known_steps(plan, traj, position)
        rest = [step.model_copy(update={"actions": (step.actions or ())[offset:]}), *known.steps[position + 1 :]]
        if not grounded:
            rest = [s.model_copy(update={"actions": None}) for s in rest]
        if form == "patch":
            answer = "\n".join(line for s in rest for line in format_step(s)) + "\n"
        else:
            answer = format_plan(with_goal(plan).model_copy(update={"steps": tuple(rest)}))
        live = _live(plan, traj, position, shown=shown)
        example = _chat(replanner_prompt(live, event, _page(traj, index), prompts), answer)
        example["meta"] = {"id": traj.id, "index": index, "step": step.id.name}
        example["revises"] = len(shown.steps) != len(known.steps)
        out.append(example)
    return out


def as_seen(action: TrajectoryAction, page: Page) -> str:
    """The action as the executor model can write it from the page it is shown.

    Its target becomes what the observation shows of the element it acted on (:func:`_seen_target`): its
    role and accessible name (``button "Submit"``) where it has them, as the intent usually names the element
    so and a small model copies a name far more reliably than it picks a reference out of the page;
    otherwise the observation's reference (``ref "e7"``).  An element the observation shows with no
    reference is named by its text where the page shows that text once (:func:`_text_target`).  An action
    on an element the observation does not show (a text read, a page not observed) stays as recorded."""
    text = action.text()
    on_page = action.ref is not None and f"[ref={action.ref}]" in page.tree
    if not on_page and (not action.element_text or len(action.element_text) >= DESCRIBED_CHARS):
        return text  # no ref the page shows, and no whole text recorded (none, or cut short)
    (parsed,) = parse_reply(text).actions
    target = _target_of(parsed)
    if target is None:
        return text
    seen = _seen_target(action.ref, references(page.tree)) if on_page else _text_target(parsed, action, page)
    return text if seen is None else format_action(parsed.model_copy(update={"target": seen}))


def _target_of(parsed: ast.Action) -> ast.Target | None:
    """The action's element target (``click T``, ``fill T with ...``), or None (``goto``, ``press`` alone)."""
    return getattr(parsed, "target", None) if "target" in parsed._target_fields else None


def _text_target(parsed: ast.Action, action: TrajectoryAction, page: Page) -> ast.Target | None:
    """``text "…"`` of the element's recorded text, for an action whose CSS target names an element the
    observation shows with no reference, where the model can read that text off the page: the observation
    shows it as a whole line (``- text "Prev"``), and no other line holds it (``text`` finds every visible
    element whose text contains it, case aside; a line cut short with ``…`` may hold it past the cut).  A
    CSS selector is a guess at the page's source, which the executor never sees.  None otherwise, and for
    an extract: its target is what it reads, and naming it by that text would need the answer."""
    target = _target_of(parsed)
    if target is None or target.kind != "css" or target.within is not None or isinstance(parsed, ast.Extract):
        return None
    wanted = (action.element_text or "").casefold()
    holding = [name for _, name in shown(page.tree) if wanted in name.casefold() or name.endswith("…")]
    if holding != [action.element_text]:
        return None
    return ast.Target.new(kind="text", name=ast.StringLit(parts=(action.element_text,)))


def _seen_target(ref: str, shown: dict[str, tuple[str, str]]) -> ast.Target:
    """What the model is taught to write for the element ``ref`` of an observation (``shown``: its refs'
    roles and names): ``role "name"`` when the element has a role a target can name and a whole name (not
    cut short with ``…``); ``first`` after it when the page shows other elements that target finds, and the
    element is the first of them; ``ref "eN"`` otherwise.  An element with no name is always named by its
    ref: ``textbox first`` for the first of three unnamed text boxes taught a small model to write
    ``textbox first`` for the second and third as well (multi-layouts)."""
    role, name = shown.get(ref, ("", ""))
    if role in ast.ROLE_KINDS and name and not name.endswith("…"):
        found = [r for r, (other, text) in shown.items() if other == role and text == name]
        if found and found[0] == ref:
            target = ast.Target.new(kind=role, name=ast.StringLit(parts=(name,)))
            return target if len(found) == 1 else target.model_copy(update={"pick": "first"})
    return ast.Target.new(kind="ref", name=ast.StringLit(parts=(ref,)))


def ambiguous_try(action: str, page: Page) -> tuple[str, str] | None:
    """The answer a model is likely to give instead of ``action`` when ``action`` names its element by role and
    name with ``first`` because the page shows others like it (:func:`_seen_target`), and why the engine
    refuses it: (that answer without ``first``, the failure the executor's prompt then shows).  ``None`` for
    any other action.  A retry example teaches the model to read the failure and answer with the pick, where
    successful runs alone teach nothing about a failed action (a model that never saw one answers ``done``)."""
    try:
        (parsed,) = parse_reply(action).actions
    except ValueError:
        return None
    target = _target_of(parsed)
    if target is None or target.kind not in ast.ROLE_KINDS or target.pick != "first" or target.within is not None:
        return None
    bare = target.model_copy(update={"pick": None})
    count = _shown_matches(bare, page)
    if count < 2:
        return None
    text = format_action(parsed.model_copy(update={"target": bare}))
    return text, f"`{text}`: {ambiguous(count, format_target(bare))}"


def is_check(action: TrajectoryAction, page: Page | None) -> bool:
    """Whether an action of a recorded run only checks the page, in a way the executor is not taught: an
    ``assert`` (the engine's replay gates and the evaluator judge the outcome; an assert changes nothing on the
    page), or a ``wait for`` an element the page before it already shows (the engine waits for a navigation an
    action starts, so such a wait was satisfied before it began).  A wait for an element not shown yet stays:
    it is what the executor must do on that page.  Executor and react examples leave checks out, so a small
    model learns the actions that move the task on (320 of the 1,085 actions of 141 generated demo-shop
    episodes are checks)."""
    try:
        (parsed,) = parse_reply(action.text()).actions
    except ValueError:
        return False
    if isinstance(parsed, ast.Assert | ast.AssertVisible):
        return True
    if not isinstance(parsed, ast.WaitFor) or page is None or parsed.target.within is not None:
        return False
    target = parsed.target
    if target.kind not in ast.ROLE_KINDS or (target.name is not None and target.name.refs):
        return False
    return _shown_matches(target, page) > 0


def _shown_matches(target: ast.Target, page: Page) -> int:
    """How many elements of the page's observation a role target (``button "yes"``, ``heading``) finds."""
    name = target.name.text if target.name is not None else None
    return sum(role == target.kind and (name is None or text == name) for role, text in shown(page.tree))


def _acting(traj: Trajectory, first: int, end: int) -> list[int]:
    """The indices of ``first..end-1`` that are not checks (:func:`is_check`)."""
    return [i for i in range(first, end) if not is_check(traj.actions[i], traj.page_before(i))]


def _taken(traj: Trajectory, indices: list[int]) -> list[str]:
    """The actions at ``indices`` as the executor's prompt lists them at run time: as the model wrote them
    (refs), a read's value after it."""
    return [
        taken_line(as_seen(traj.actions[i], traj.page_before(i) or NOT_SEEN), traj.actions[i].value) for i in indices
    ]


def react_examples(traj: Trajectory, prompts: str = "full") -> list[dict[str, Any]]:
    """Executor examples with no plan (the react agent's form): the goal is the one step, and every action of
    the trajectory is a turn of it, the episode's earlier actions taken; ``done`` after the last one (in the
    compact form, on a turn of its own: see :func:`executor_examples`)."""
    from ..harness.agents import goal_plan

    plan = goal_plan(traj.task, dict(traj.sites))
    (step,) = plan.steps
    plan_text = LiveView(plan, {step.id.name: "running"}, {}, 0).annotated()
    scope: dict[str, Any] = {name: Secret("") for name in traj.secrets}
    out = []
    acting = _acting(traj, 0, len(traj.actions))
    for k, index in enumerate(acting):
        if traj.page_before(index) is not None:
            turn = _Turn(traj, index, acting[:k], plan_text, step, scope, prompts)
            out += turn.examples(last=index == acting[-1])
    return out


def executor_examples(plan: ast.Plan, traj: Trajectory, prompts: str = "full") -> list[dict[str, Any]]:
    """One executor example per action whose page before it was recorded (in the ``compact`` form, one
    more per step: ``done``, on the page its last action left)."""
    spans, out = Spans.of(plan), []
    scope: dict[str, Any] = {name: Secret("") for name in traj.secrets}
    for position, step in enumerate(plan.steps):
        first = spans.starts[position]
        end = first + len(step.actions or ())
        plan_text = _live(plan, traj, position, running=position).annotated()
        acting = _acting(traj, first, end)
        if not acting and first < end and traj.page_before(first) is not None:  # a step of checks only: done
            out.append(_Turn(traj, first, [], plan_text, step, scope, prompts).done(traj.page_before(first), [], first))
        for k, index in enumerate(acting):
            if traj.page_before(index) is not None:
                turn = _Turn(traj, index, acting[:k], plan_text, step, scope, prompts)
                out += turn.examples(last=index == acting[-1])
    return out


@dataclass
class _Turn:
    """Action ``index`` of a trajectory as the executor is asked for it, in step ``step``, after the step's
    actions at ``earlier`` (checks left out: :func:`is_check`)."""

    traj: Trajectory
    index: int
    earlier: list[int]
    plan_text: str
    step: ast.Step
    scope: dict[str, Any]
    prompts: str

    def examples(self, last: bool) -> list[dict[str, Any]]:
        """The action (and ``done`` after it when it is the step's last); in the compact form the action
        alone, and after the step's last a turn of its own: ``done``, on the page that action left.  An action
        whose element the page shows more than once (``button "yes" first``) has a retry turn too: the same
        page after the answer without the pick failed (:func:`ambiguous_try`), answered with the action."""
        page = self.traj.page_before(self.index)
        action = as_seen(self.traj.actions[self.index], page)
        taken = _taken(self.traj, self.earlier)
        meta = {"id": self.traj.id, "index": self.index, "step": self.step.id.name}
        answer = action if self.prompts == "compact" else action + ("\ndone" if last else "")
        out = [{**_chat(self._prompt(page, taken), answer), "meta": meta}]
        if page is not None and (tried := ambiguous_try(action, page)) is not None:
            line, feedback = failed_lines(*tried)  # the same turn after the answer without its pick failed
            prompt = self._prompt(page, [*taken, line], feedback)
            out.append({**_chat(prompt, answer), "meta": {**meta, "retry": True}})
        if self.prompts != "compact":
            return out
        after = self.traj.page_before(self.index + 1)
        if last and after is not None:
            out.append(
                self.done(after, [*taken, taken_line(action, self.traj.actions[self.index].value)], self.index + 1)
            )
        return out

    def done(self, page: Page, taken: list[str], index: int) -> dict[str, Any]:
        """The turn that answers ``done``: on ``page``, with ``taken`` listed (``index``: the action it precedes)."""
        return {
            **_chat(self._prompt(page, taken), "done"),
            "meta": {"id": self.traj.id, "index": index, "step": self.step.id.name},
        }

    def _prompt(self, page: Any, taken: list[str], feedback: str = "") -> list[dict[str, str]]:
        t = self.traj
        return executor_prompt(t.task, self.plan_text, self.step, self.scope, t.sites, page, taken, feedback,
                               form=self.prompts)  # fmt: skip
