"""A run folder read back for a report: its events grouped per step and per part, its plan revisions, its gaps.

Only what the run record already holds is read, and only its scrubbed texts: ``events.jsonl`` (every
secret masked as the run wrote it), the plan revisions ``plan.rN.pa`` (scrubbed as saved), ``inputs.json``
(public inputs only) and the screenshots.  The browser's saved cookies are never read.  Whatever is
missing or damaged — a line cut short by a kill, a run that never finished, a screenshot that is not
there, a revision that does not parse — is kept as a :class:`Gap` in words, and the rest is reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..graph import build_graph, diff_plans
from ..graph.render_diff import render_text
from ..syntax.diagnostics import PlanError
from ..syntax.format import format_call
from ..syntax.parser import parse

FINAL = {"step_finished": "done", "step_failed": "failed", "step_skipped": "skipped"}
STEP_EVENTS = {"step_started", "action", "warning", "step_grounded", "navigation_blocked", *FINAL}  # a step's own


class NotARun(ValueError):
    """The folder given is not a run record; the message says what a run folder is."""


@dataclass
class Gap:
    """Something the record lacks or holds damaged, in words (``step``: the step it is about)."""

    message: str
    step: str | None = None


@dataclass
class Attempt:
    """One run of a step: from ``step_started`` to its end (or to the end of the log, when it never ended)."""

    step: str
    part: int
    intent: str | None = None
    status: str = "unfinished"  # done | failed | skipped | unfinished (the log stops before it ended)
    started: float | None = None
    ms: float | None = None
    output: Any = None
    url: str | None = None
    error: str | None = None
    reason: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)  # actions, warnings, grounding, blocked navigation

    @property
    def actions(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "action"]


@dataclass
class StepView:
    """A step of the run: its intent, its attempts in order, its status in the end and its screenshot."""

    id: str
    intent: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    in_plan: bool = True  # in the last revision of the plan (False: removed by a revision)
    screenshot: Path | None = None

    @property
    def status(self) -> str:
        return self.attempts[-1].status if self.attempts else "pending"


@dataclass
class Revision:
    """A plan revision: its file, its text, the plan it parses to, its diff against the one before."""

    number: int
    file: str
    text: str | None = None
    plan: Any = None
    diff_text: str | None = None
    summary: tuple[int, int, int] | None = None
    event: dict[str, Any] | None = None  # its plan_revised event (None for r0)
    problem: str | None = None


@dataclass
class ModelCallView:
    """A model call, with the rejections and errors that followed it (answers turned down, and why)."""

    event: dict[str, Any]
    index: int
    rejections: list[str] = field(default_factory=list)


@dataclass
class RunView:
    """Everything a report shows of one run folder."""

    path: Path
    events: list[dict[str, Any]]
    gaps: list[Gap]
    parts: list[dict[str, Any]]  # run_started / run_resumed events, in order
    finished: list[dict[str, Any]]  # run_finished events, one per part that ended
    steps: dict[str, StepView]
    revisions: list[Revision]
    calls: list[ModelCallView]
    model_errors: list[dict[str, Any]]
    kept: list[dict[str, Any]]  # plan_kept events
    inputs: dict[str, Any]
    episode: dict[str, Any] | None
    graph: Any = None  # the step graph of the last revision that parses (planact.graph.PlanGraph)
    screenshots_taken: bool = False

    @property
    def plan(self) -> Any:
        """The last plan revision that parses (None: none does)."""
        return next((r.plan for r in reversed(self.revisions) if r.plan is not None), None)

    @property
    def first_plan(self) -> Any:
        return next((r.plan for r in self.revisions if r.plan is not None), None)

    @property
    def status(self) -> str:
        """succeeded | failed (as the last part ended) | incomplete (the log stops before the run ended)."""
        if not self.finished or (self.parts and self.parts[-1]["t"] > self.finished[-1]["t"]):
            return "incomplete"
        return str(self.finished[-1].get("status") or "failed")

    @property
    def answer(self) -> Any:
        return self.finished[-1].get("answer") if self.finished else None

    @property
    def seconds(self) -> float:
        """The time the run's parts took, added up (the pause between a stop and its resumption left out)."""
        total = 0.0
        bounds = [i for i, e in enumerate(self.events) if e["event"] in ("run_started", "run_resumed")] or [0]
        for n, i in enumerate(bounds):
            j = bounds[n + 1] if n + 1 < len(bounds) else len(self.events)
            times = [e["t"] for e in self.events[i:j]]
            if times:
                total += max(times) - min(times)
        return total

    @property
    def tokens(self) -> dict[str, int]:
        out = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
        for call in self.calls:
            out["calls"] += 1
            out["prompt_tokens"] += int(call.event.get("prompt_tokens") or 0)
            out["completion_tokens"] += int(call.event.get("completion_tokens") or 0)
        return out

    def ordered_steps(self) -> list[StepView]:
        """The steps in the order they first started; steps never started after them, in plan order."""
        ran = sorted(
            (s for s in self.steps.values() if s.attempts), key=lambda s: s.attempts[0].started or float("inf")
        )
        return ran + [s for s in self.steps.values() if not s.attempts]


def describe_step(step: Any) -> str | None:
    """A step in words: its intent, or the procedure it calls (``login(user, password)``)."""
    if step.intent is not None:
        return step.intent.text
    return format_call(step.call) if step.call is not None else None


def _read_events(path: Path, gaps: list[Gap]) -> list[dict[str, Any]]:
    if not path.exists():
        gaps.append(Gap("events.jsonl is missing: the run wrote no event (it stopped before its first step)"))
        return []
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as err:
        gaps.append(Gap(f"events.jsonl cannot be read ({err.strerror or err}): the steps are not shown"))
        return []
    out = []
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            cut = number == len(lines) and not text.endswith("\n")
            how = "cut short (the run was killed while writing it)" if cut else "not valid JSON"
            gaps.append(Gap(f"events.jsonl line {number} is {how}: {len(line)} characters left out"))
            continue
        if not isinstance(value, dict) or not isinstance(value.get("event"), str):
            gaps.append(Gap(f"events.jsonl line {number} is not an event (no `event` field): left out"))
            continue
        if not isinstance(value.get("t"), int | float):
            value["t"] = out[-1]["t"] if out else 0.0
        out.append(value)
    return out


def _revision_number(path: Path) -> int:
    match = re.fullmatch(r"plan\.r(\d+)\.pa", path.name)
    return int(match.group(1)) if match else -1


def _read_revisions(folder: Path, events: list[dict[str, Any]], gaps: list[Gap]) -> list[Revision]:
    files = sorted((p for p in folder.glob("plan.r*.pa") if _revision_number(p) >= 0), key=_revision_number)
    revised = {e.get("revision"): e for e in events if e.get("event") == "plan_revised"}
    out: list[Revision] = []
    for path in files:
        number = _revision_number(path)
        rev = Revision(number=number, file=path.name, event=revised.get(number))
        try:
            rev.text = path.read_text(encoding="utf-8")
            rev.plan = parse(rev.text)
        except (OSError, UnicodeDecodeError) as err:
            rev.problem = f"{path.name} cannot be read: {err}"
        except PlanError as err:
            first = err.diagnostics[0] if err.diagnostics else None
            rev.problem = f"{path.name} does not parse" + (f": {first.code} {first.message}" if first else "")
        if rev.problem:
            gaps.append(Gap(rev.problem))
        out.append(rev)
    for number, event in sorted(revised.items(), key=lambda kv: kv[0] if isinstance(kv[0], int) else -1):
        if not any(r.number == number for r in out):
            gaps.append(Gap(f"plan revision {number} is in the log but its file {event.get('file')} is missing"))
    if not files:
        gaps.append(Gap("no plan revision (plan.r0.pa) in the folder: the step graph cannot be drawn"))
    previous = None
    for rev in out:
        if rev.plan is not None and previous is not None:
            diff = diff_plans(previous, rev.plan)
            rev.diff_text, rev.summary = render_text(diff), diff.summary
        if rev.plan is not None:
            previous = rev.plan
    return out


def _attempts(events: list[dict[str, Any]], steps: dict[str, StepView], gaps: list[Gap]) -> None:
    part, current = -1, {}
    for event in events:
        kind = event["event"]
        if kind in ("run_started", "run_resumed"):
            part += 1
            for attempt in current.values():  # the part before stopped while these ran
                gaps.append(Gap(f"step `{attempt.step}` started but never ended (the run stopped)", attempt.step))
            current = {}
            continue
        name = event.get("step")
        if not isinstance(name, str) or kind not in STEP_EVENTS:
            continue
        view = steps.setdefault(name, StepView(name, in_plan=False))
        if kind == "step_started":
            attempt = Attempt(name, max(part, 0), intent=event.get("intent"), started=event["t"])
            view.intent = view.intent or event.get("intent")
            view.attempts.append(attempt)
            current[name] = attempt
            continue
        attempt = current.get(name)
        if attempt is None:  # an event of a step with no start in the log (e.g. skipped without starting)
            attempt = Attempt(name, max(part, 0), started=event["t"])
            view.attempts.append(attempt)
            current[name] = attempt
        if kind in FINAL:
            attempt.status = FINAL[kind]
            attempt.ms = event.get("ms")
            attempt.output = event.get("output")
            attempt.url = event.get("url")
            attempt.error = event.get("error")
            attempt.reason = event.get("reason")
            del current[name]
        else:
            attempt.events.append(event)
    for attempt in current.values():
        gaps.append(Gap(f"step `{attempt.step}` started but never ended (the log stops there)", attempt.step))


def _calls(events: list[dict[str, Any]]) -> tuple[list[ModelCallView], list[dict[str, Any]]]:
    calls: list[ModelCallView] = []
    errors = []
    for event in events:
        kind = event["event"]
        if kind == "model_call":
            calls.append(ModelCallView(event, len(calls) + 1))
        elif kind == "model_rejected":
            key = (event.get("role"), event.get("purpose"), event.get("step"))
            match = next(
                (
                    c
                    for c in reversed(calls)
                    if (c.event.get("role"), c.event.get("purpose"), c.event.get("step")) == key
                ),
                None,
            )
            if match is not None:
                match.rejections.append(str(event.get("reason")))
            else:
                errors.append({**event, "error": f"answer rejected: {event.get('reason')}"})
        elif kind == "model_error":
            errors.append(event)
    return calls, errors


def is_run_folder(path: Path) -> bool:
    """A folder that ``planact exec`` (or a benchmark episode) wrote: it has an event log or a plan revision."""
    return path.is_dir() and ((path / "events.jsonl").is_file() or (path / "plan.r0.pa").is_file())


def not_a_run_message(path: Path) -> str:
    """Why ``path`` is not a run folder, and what to give instead."""
    if not path.exists():
        return f"{path} does not exist: give a run folder (runs/<time>-<id>/, as `planact exec` writes)"
    if not path.is_dir():
        return f"{path} is a file, not a run folder: give the folder that holds events.jsonl"
    inside = sorted(p.parent for p in path.glob("*/events.jsonl"))
    if inside:
        return f"{path} is not a run folder but holds {len(inside)}: give one of them, e.g. {inside[-1]}"
    return f"{path} is not a run folder: it has no events.jsonl and no plan.r0.pa (as `planact exec` writes)"


def collect_run(path: str | Path) -> RunView:
    """Read a run folder; raises :class:`NotARun` for a folder that is not one (nothing else is raised for
    damaged content: it becomes a gap)."""
    folder = Path(path)
    if not is_run_folder(folder):
        raise NotARun(not_a_run_message(folder))
    gaps: list[Gap] = []
    events = _read_events(folder / "events.jsonl", gaps)
    revisions = _read_revisions(folder, events, gaps)
    view = RunView(
        path=folder, events=events, gaps=gaps,
        parts=[e for e in events if e["event"] in ("run_started", "run_resumed")],
        finished=[e for e in events if e["event"] == "run_finished"],
        steps={}, revisions=revisions, calls=[], model_errors=[],
        kept=[e for e in events if e["event"] == "plan_kept"], inputs={}, episode=None,
    )  # fmt: skip
    plan = view.plan
    if plan is not None:
        try:
            view.graph = build_graph(plan)
        except Exception as err:  # a graph that cannot be built is a gap, not a crash
            gaps.append(Gap(f"the step graph of the last revision cannot be built: {err}"))
        for step in plan.steps:
            view.steps.setdefault(step.id.name, StepView(step.id.name, describe_step(step)))
    _attempts(events, view.steps, gaps)
    for rev in revisions:  # intents of removed steps, from the revision that had them
        for step in rev.plan.steps if rev.plan is not None else ():
            found = view.steps.get(step.id.name)
            if found is not None and found.intent is None:
                found.intent = describe_step(step)
    view.calls, view.model_errors = _calls(events)
    episodes = [e for e in events if e["event"] in ("episode_started", "episode_finished")]
    if episodes:
        view.episode = {k: v for e in episodes for k, v in e.items() if k not in ("t", "event")}
    if not view.parts and events:
        gaps.append(Gap("the log has no run_started event: the run stopped before it began"))
    if view.status == "incomplete" and view.parts:
        gaps.append(Gap("the run never finished (no run_finished event after its last start): killed or crashed"))
    shots = folder / "screenshots"
    view.screenshots_taken = shots.is_dir() and any(shots.glob("*.jpg"))
    for step in view.steps.values():
        shot = shots / f"{step.id}.jpg"
        if shot.is_file():
            step.screenshot = shot
        elif view.screenshots_taken and step.status == "done":  # a failed step has none: the run stopped there
            gaps.append(Gap(f"the screenshot after step `{step.id}` is missing (screenshots/{step.id}.jpg)", step.id))
    try:
        inputs = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
        view.inputs = inputs if isinstance(inputs, dict) else {}
    except (OSError, ValueError):
        view.inputs = {}
    return view
