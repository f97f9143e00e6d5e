"""Trajectories: what an agent did on a site, action by action — the input of synthetic-data generation.

A trajectory file is JSON lines, one trajectory per line (``planact schema trajectory``
prints the JSON Schema)::

    {"id": "add-mouse", "task": "Add the cheapest mouse to the cart",
     "start_url": "http://127.0.0.1:8765/", "sites": {"shop": "http://127.0.0.1:8765"},
     "status": "succeeded", "answer": null,
     "actions": [
        {"type": "fill", "target": "searchbox \\"Search\\"", "argument": "mouse",
         "page_before": {"url": "...", "title": "...", "tree": "..."}, "page_after": {...}},
        {"action": "click button \\"Add to cart\\""}, ...]}

An action is given either in the plan language (``action``: ``click button "Add to cart"``)
or WebArena-style as ``type`` + ``target`` + ``argument``; the types are the language's
actions (click, fill, press, select, check, uncheck, hover, scroll, goto, back, forward,
extract, answer, ...) plus WebArena's names for them (type, go_back, go_forward, new_tab,
tab_focus, close_tab, stop).  A target is a target of the language: ``button "Add to cart"``,
``link first within css ".result"``, ``css "#submit"``.  ``page_before`` / ``page_after``
(optional) are the page as the executor model sees it.  Secret values never appear: an
action types a secret by its name (``fill textbox "Password" with password``), and the
trajectory lists those names under ``secrets``.

``planact record`` writes trajectories from planact's own run records (see :func:`from_run`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..lang.deps import expr_refs
from ..lang.evaluate import EvaluationError, evaluate
from ..run.records import RunRecord, read_jsonl, write_whole
from ..scrub import Scrubber
from ..syntax import ast
from ..syntax.diagnostics import PlanError
from ..syntax.format import format_action, format_string
from ..syntax.parser import parse_reply


class TrajectoryError(Exception):
    """A trajectory that cannot be read; the message names the file, the line and what is wrong."""


class Page(BaseModel):
    """The page as the executor model sees it: URL, title and accessibility-tree text."""

    model_config = ConfigDict(extra="ignore")

    url: str
    title: str = ""
    tree: str = ""


# WebArena's action names for the language's own
_ALIASES = {
    "type": "fill", "go_back": "back", "go_forward": "forward", "new_tab": "tab open",
    "tab_focus": "tab switch", "close_tab": "tab close", "stop": "answer", "goto": "goto",
}  # fmt: skip
_WITH_VALUE = {"fill", "select"}  # `OP TARGET with "value"`
_VALUE_ONLY = {"goto", "answer", "tab open"}  # `OP "value"`


class TrajectoryAction(BaseModel):
    """One action of a trajectory (see the module note for the two ways to give it)."""

    model_config = ConfigDict(extra="ignore")

    action: str | None = Field(default=None, description="the action in the plan language, values written in")
    type: str | None = Field(default=None, description="WebArena-style: the action's type")
    target: str | None = Field(default=None, description="WebArena-style: the target, in the plan language")
    argument: str | int | float | None = Field(default=None, description="WebArena-style: text, key, URL or value")
    url: str | None = Field(default=None, description="the page's URL after the action")
    value: Any = Field(default=None, description="what an extract read or an answer gave")
    step: str | None = Field(default=None, description="the step of the recorded run it belongs to (for reference)")
    ref: str | None = Field(
        default=None, description="the reference (eN) of the element acted on, as page_before's observation shows it"
    )
    element_text: str | None = Field(
        default=None, description="the text of the element acted on (the first 80 characters, spaces collapsed)"
    )
    page_before: Page | None = None
    page_after: Page | None = None

    def text(self) -> str:
        """The action in canonical plan-language form; raises ValueError if it is not an action of the language."""
        source = self.action if self.action is not None else self._from_parts()
        try:
            reply = parse_reply(source)
        except PlanError as err:
            raise ValueError(
                f"`{source}` is not an action of the plan language: {err.diagnostics[0].message}"
            ) from None
        if len(reply.actions) != 1 or reply.done:
            raise ValueError(f"`{source}` is not exactly one action")
        return format_action(reply.actions[0])

    def _from_parts(self) -> str:
        if not self.type:
            raise ValueError("an action needs `action` (plan language) or `type` (WebArena style)")
        op = _ALIASES.get(self.type, self.type)
        arg = None if self.argument is None else str(self.argument)
        quoted = None if arg is None else format_string(ast.StringLit(parts=(arg,)))
        if op in _WITH_VALUE:
            return f"{op} {self.target} with {quoted}"
        if op in _VALUE_ONLY:
            return f"{op} {quoted or ''}".strip()
        if op == "press":
            return f"press {quoted}" + (f" in {self.target}" if self.target else "")
        if op == "scroll":
            return f"scroll {arg or 'down'}"
        if op == "tab switch":
            return f"tab switch {arg}"
        return f"{op} {self.target or ''}".strip()


class Trajectory(BaseModel):
    """A task, where it starts, the actions taken, and how it ended."""

    model_config = ConfigDict(extra="ignore")

    id: str = ""
    task: str
    start_url: str
    sites: dict[str, str] = Field(default_factory=dict, description="site name -> URL, as a plan declares them")
    secrets: list[str] = Field(default_factory=list, description="names of secret inputs the actions type by name")
    actions: list[TrajectoryAction]
    status: Literal["succeeded", "failed"] = "succeeded"
    answer: Any = None
    start_page: Page | None = Field(default=None, description="the page before the first action")
    intents: dict[str, str] = Field(
        default_factory=dict, description="for a recorded run: the intent of each step of the plan that ran"
    )
    source: str | None = Field(default=None, description="where it came from: a run folder, a log file")
    revealed_by: dict[str, list[str]] = Field(
        default_factory=dict,
        description="for a recorded run: each step whose condition or loop reads other steps' outputs -> those "
        "steps (whether it runs is known only once they have run)",
    )

    def model_post_init(self, _: Any) -> None:
        if not self.id:
            digest = hashlib.sha1(json.dumps([self.task, [a.model_dump() for a in self.actions]], default=str).encode())
            self.id = "t-" + digest.hexdigest()[:10]

    def texts(self) -> list[str]:
        """Every action in canonical plan-language form (ValueError names the first bad one)."""
        out = []
        for n, action in enumerate(self.actions, 1):
            try:
                out.append(action.text())
            except ValueError as err:
                raise ValueError(f"action {n}: {err}") from None
        return out

    def page_before(self, index: int) -> Page | None:
        """The page before action ``index`` (0-based): its own record, else the page after the one before."""
        if index < len(self.actions) and self.actions[index].page_before is not None:
            return self.actions[index].page_before
        if index == 0:
            return self.start_page
        return self.actions[index - 1].page_after


def read_trajectories(path: str | Path) -> Iterator[Trajectory]:
    """The trajectories of a JSONL file (or of a run folder); TrajectoryError names the line that is wrong."""
    path = Path(path)
    if path.is_dir():
        yield from_run(path)
        return
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise TrajectoryError(f"{path}: cannot read: {err}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield Trajectory.model_validate_json(line)
        except ValidationError as err:
            problem = err.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise TrajectoryError(f"{path}:{number}: {where or 'line'}: {problem['msg']}") from None


def write_trajectories(trajectories: list[Trajectory], path: str | Path, scrub: Scrubber | None = None) -> None:
    """Write a JSONL file whole (a temporary file renamed into place: never half written); ``scrub`` masks
    secret values in it (a run record written before planact scrubbed them at the source may hold them)."""
    lines = [t.model_dump_json(exclude_none=True) for t in trajectories]
    if scrub:
        lines = [json.dumps(scrub.value(json.loads(line)), ensure_ascii=False, separators=(",", ":")) for line in lines]
    write_whole(Path(path), "".join(line + "\n" for line in lines))


def _intents(plan: ast.Plan, record: RunRecord, events: list[dict[str, Any]]) -> dict[str, str]:
    """Each step's intent with the run's inputs and outputs written in ("Search for {query}" -> "Search for mouse")."""
    from ..run.concrete import fill_in

    inputs = record.path / "inputs.json"
    scope: dict[str, Any] = json.loads(inputs.read_text(encoding="utf-8")) if inputs.exists() else {}
    scope.update(
        {e["step"]: e["output"] for e in events if e["event"] == "step_finished" and e.get("output") is not None}
    )
    procedures = _procedures(plan)
    out = {}
    for step in plan.steps:
        if step.intent is not None:
            out[step.id.name] = fill_in(step.intent, {**scope, **_loop_value(step, scope)}).text
        elif step.call is not None and (proc := procedures.get(step.call.name.name)) and proc.intent is not None:
            # `step search: search(query)`: the procedure's intent, with the call's arguments
            try:
                args = dict(
                    zip(
                        (p.name.name for p in proc.params),
                        (evaluate(a.value, scope) for a in step.call.args),
                        strict=False,
                    )
                )
            except EvaluationError:
                args = {}
            out[step.id.name] = fill_in(proc.intent, args).text
    return out


def revealed_by(plan: ast.Plan) -> dict[str, list[str]]:
    """Each step whose ``if`` condition or ``for`` list reads the output of other steps -> those steps, in the
    order the plan reads them.  Whether such a step runs (and how often) is not known from the goal and the
    first page: it is revealed by what those steps read as the run goes."""
    ids = {s.id.name for s in plan.steps}
    out: dict[str, list[str]] = {}
    for step in plan.steps:
        parts = [e for e in (step.condition, step.loop.iterable if step.loop else None) if e is not None]
        loop_var = step.loop.var.name if step.loop else None
        names = [r.name for e in parts for r in expr_refs(e) if r.name in ids and r.name != loop_var]
        if names:
            out[step.id.name] = list(dict.fromkeys(names))
    return out


def _loop_value(step: ast.Step, scope: dict[str, Any]) -> dict[str, Any]:
    """A loop step's variable bound to the items it ran over, joined (``Tick {w}`` -> ``Tick a, b``): the
    recorded step is the loop unrolled, so its intent names every item, not a placeholder."""
    if step.loop is None:
        return {}
    name = step.loop.var.name
    try:
        items = evaluate(step.loop.iterable, scope)
        if not isinstance(items, list):
            return {}
        if step.condition is not None:
            items = [item for item in items if evaluate(step.condition, {**scope, name: item})]
    except EvaluationError:
        return {}
    if step.loop.max is not None:
        items = items[: step.loop.max]
    return {name: ", ".join(str(item) for item in items) or "nothing"}


def _procedures(plan: ast.Plan) -> dict[str, ast.Define]:
    from ..lang.modules import load_module

    found = {d.name.name: d for d in plan.defines}
    for use in plan.uses:
        try:
            module = load_module(use.module, use.is_path, None)
        except Exception:  # a module that cannot be read here: its steps keep their ids as intents
            continue
        for d in module.plan.defines if module.plan is not None else ():
            found.setdefault(d.name.name, d)
    return found


def from_run(folder: str | Path) -> Trajectory:
    """The trajectory of a planact run record: its actions with values written in, pages if recorded.

    A run of any plan works (grounded, or grounded by a model as it ran); loops
    come out unrolled and skipped steps leave nothing.  Raises TrajectoryError
    for a folder that is no run record or a run that never finished.
    """
    from ..syntax.parser import parse

    record = RunRecord(Path(folder))
    events = record.events()
    if not events:
        raise TrajectoryError(f"{folder}: not a run record (no events.jsonl)")
    finished = [e for e in events if e["event"] == "run_finished"]
    if not finished:
        raise TrajectoryError(
            f"{folder}: the run never finished (resume it first: planact exec PLAN --resume {folder})"
        )
    first = record.path / "plan.r0.pa"
    if not first.exists():
        raise TrajectoryError(f"{folder}: no plan.r0.pa in the run record")
    plan = parse(first.read_text(encoding="utf-8"))
    latest = record.latest_plan()
    if latest is not None and latest != first:
        plan = parse(latest.read_text(encoding="utf-8"))
    sites = {s.name.name: s.url.text for s in plan.sites}
    secrets = [i.name.name for i in plan.inputs if isinstance(i.type, ast.ScalarType) and i.type.name == "secret"]
    pages = {p["after_action"]: Page.model_validate(p) for p in read_jsonl(record.pages_path)}
    actions = []
    for event in (e for e in events if e["event"] == "action"):
        n = len(actions)
        target = event.get("target") or {}
        actions.append(
            TrajectoryAction(
                action=event.get("concrete") or event["action"], url=event.get("url"), value=event.get("value"),
                step=event.get("step"), ref=target.get("ref"), element_text=target.get("text") or None,
                page_before=pages.get(n), page_after=pages.get(n + 1),
            )
        )  # fmt: skip
    first_goto = next((a for a in actions if a.action and a.action.startswith("goto")), None)
    opened = pages.get(0)
    if opened is not None and opened.url.startswith("http"):
        start = opened.url  # where the run began (a benchmark opens the task's start page first)
    else:
        start = next(iter(sites.values()), "") if first_goto is None else (first_goto.url or "")
    end = finished[-1]
    judged = next((e for e in reversed(events) if e["event"] == "episode_finished"), None)
    status = end["status"]
    if judged is not None and judged.get("success") is False:
        status = "failed"  # the run went through, but the benchmark's evaluator says the task was not done
    # a benchmark episode knows the task as it was given (the plan's title may say it otherwise)
    given = next((e["goal"] for e in reversed(events) if e["event"].startswith("episode") and e.get("goal")), None)
    return Trajectory(
        id=record.path.name, task=given or (plan.goal.text if plan.goal else plan.title.text), start_url=start, sites=sites,
        secrets=secrets, actions=actions, status=status, answer=end.get("answer"), start_page=pages.get(0),
        source=str(record.path), intents=_intents(plan, record, events), revealed_by=revealed_by(plan),
    )  # fmt: skip
