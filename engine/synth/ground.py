"""Grounded plan generation (Plan-and-Act §4.1): a teacher model turns a trajectory into a plan.

The teacher groups the trajectory's actions into steps with intents.  Its answer
is kept only if it passes every gate, each failing one giving a reason that goes
back to the teacher (a bounded number of times) and into the ledger:

1. it parses, and is a straight line (no loops, conditions, calls, reordering);
2. its actions are exactly the trajectory's, in order, each step a contiguous
   span (a missing, extra, changed or misplaced action is named);
3. it lints clean;
4. replayed against the site (when the site answers), it reproduces the
   trajectory's outcome: the run succeeds and gives the same answer (by
   default up to its numbers: see :func:`same_answer`).

Output folder::

    ground.jsonl                 the ledger: one line per trajectory, kept or dropped and why
    grounded/ID.pa               a kept plan
    grounded/ID.trajectory.json  its trajectory (pages included: replanning and executor data)

Files are written whole (temporary file, then rename) and the ledger line last,
so a killed run leaves nothing half-written and a rerun skips what is done.  The
teacher and the replays run in this process or on the workers of a Ray cluster
(:mod:`planact.synth.jobs`); the files are written here either way.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..check import check_plan
from ..graph import build_graph
from ..lang.evaluate import show
from ..models.base import Message, Model, ModelError
from ..models.prompts import conversation
from ..run.asking import split_reasoning
from ..run.planner import Rejected, ask_again, describe
from ..run.records import append_jsonl, read_jsonl, write_whole
from ..syntax import ast
from ..syntax.diagnostics import PlanError
from ..syntax.format import format_action, format_plan, format_string
from ..syntax.parser import parse
from .trajectory import Trajectory

if TYPE_CHECKING:
    from .jobs import TeacherRecipe

LEDGER = "ground.jsonl"


@dataclass
class Grounding:
    """What became of one trajectory."""

    id: str
    kept: bool
    reason: str | None = None  # why it was dropped
    rejections: list[str] = field(default_factory=list)  # the teacher's rejected answers, why each
    replayed: bool | None = None  # None: not replayed (site unreachable, or replay off)
    plan: str | None = None  # the kept plan's file, relative to the output folder
    task: str = ""
    steps: int = 0
    actions: int = 0
    error: str | None = None  # the run broke down (a worker died, time ran out): no verdict, no ledger line

    def line(self) -> dict[str, Any]:
        """As the ledger has it (``error`` only when set: such a result is never in the ledger)."""
        return {k: v for k, v in self.__dict__.items() if k != "error" or v is not None}


def header(traj: Trajectory) -> str:
    """The lines a grounded plan of ``traj`` starts with: title, sites, secret inputs (the engine's facts)."""
    lines = ["plan " + format_string(ast.StringLit(parts=(traj.task,)))]
    lines += [f'site {name} = "{url}"' for name, url in traj.sites.items()]
    lines += [f"input {name}: secret" for name in traj.secrets]
    return "\n".join(lines) + "\n"


def own_header(plan: ast.Plan, traj: Trajectory) -> ast.Plan:
    """The teacher's steps under the trajectory's own title, sites and the secret inputs they type."""
    from ..lang.deps import action_refs

    typed = {ref.name for step in plan.steps for a in step.actions or () for ref in action_refs(a)}
    facts = parse(header(traj))
    inputs = tuple(i for i in facts.inputs if i.name.name in typed)
    return plan.model_copy(
        update={"title": facts.title, "goal": None, "sites": facts.sites, "inputs": inputs, "uses": (), "defines": ()}
    )


def accept(body: str, traj: Trajectory, expected: list[str]) -> ast.Plan:
    """The teacher's answer as a grounded plan of ``traj``, or :class:`Rejected` saying what is wrong."""
    if not body.strip():
        raise Rejected('the answer holds no plan: start with `plan "TITLE"`')
    try:
        plan = own_header(parse(body), traj)
    except PlanError as err:
        raise Rejected("the plan does not parse:\n" + describe(err.diagnostics)) from None
    for step in plan.steps:
        name = step.id.name
        if step.loop is not None or step.condition is not None or step.call is not None:
            raise Rejected(f"step `{name}`: a plan rebuilt from a trajectory is a straight line (no loop, if or call)")
        if not step.actions:
            raise Rejected(f"step `{name}` has no actions: every step covers at least one action of the trajectory")
    spans(plan, expected)
    problems = check_plan(plan)
    if problems:
        raise Rejected("the plan does not lint clean:\n" + describe(problems))
    graph, order = build_graph(plan), []
    while ready := graph.ready():
        order.append(ready[0])
        graph.mark(ready[0], "done")
    written = [s.id.name for s in plan.steps]
    if order != written:
        raise Rejected(f"the steps would run in the order {', '.join(order)}, not as written: drop the `after` clauses")
    return plan


def spans(plan: ast.Plan, expected: list[str]) -> None:
    """Check that the plan's actions are ``expected``, in order, each step a contiguous span; else Rejected."""
    got = [(step.id.name, format_action(a)) for step in plan.steps for a in step.actions or ()]
    if [text for _, text in got] == expected:
        return
    missing, extra = Counter(expected) - Counter(t for _, t in got), Counter(t for _, t in got) - Counter(expected)
    if extra:
        text = next(iter(extra))
        step = next(s for s, t in got if t == text)
        repeated = text in expected
        raise Rejected(
            f"step `{step}` has `{text}`, "
            + ("more times than the trajectory has it" if repeated else "which is not an action of the trajectory")
            + ": copy the actions exactly, each once"
        )
    if missing:
        text = next(iter(missing))
        raise Rejected(f"action {expected.index(text) + 1} of the trajectory (`{text}`) is in no step")
    # the same actions in another order: which step breaks the order, and how
    used: set[int] = set()
    where: list[tuple[str, int]] = []
    for step, text in got:
        index = next(i for i, t in enumerate(expected) if t == text and i not in used)
        used.add(index)
        where.append((step, index))
    owner = {index: step for step, index in where}
    for step in dict.fromkeys(s for s, _ in where):
        indices = sorted(i for s, i in where if s == step)
        gap = next((i for i in range(indices[0], indices[-1]) if owner[i] != step), None)
        if gap is not None:
            raise Rejected(
                f"step `{step}` is not a contiguous span: it takes actions {indices[0] + 1} and {indices[-1] + 1} "
                f"of the trajectory but action {gap + 1} is in step `{owner[gap]}`"
            )
    for (step, index), position in zip(where, range(len(where)), strict=True):
        if index != position:
            raise Rejected(
                f"the actions are out of order: step `{step}` puts action {index + 1} (`{expected[index]}`) "
                f"where action {position + 1} (`{expected[position]}`) belongs"
            )


def reachable(urls: Iterable[str], timeout: float = 3.0) -> bool:
    """Does every site answer HTTP at all (any status)?"""
    for url in urls:
        try:
            urllib.request.urlopen(url, timeout=timeout).close()  # noqa: S310 - the plan's own declared site
        except urllib.error.HTTPError:
            continue
        except (urllib.error.URLError, OSError, ValueError):
            return False
    return True


ANSWER_MATCHES = ("loose", "exact", "ignore")


def same_answer(replayed: Any, recorded: Any, how: str = "loose") -> bool:
    """Does a replay's answer reproduce the recorded one?

    exact: the same text; loose: the same text up to its numbers (a stateful site
    hands out new order numbers, dates and counts on every run); ignore: any answer.
    """
    if how == "ignore" or recorded is None:
        return True
    a, b = show(replayed), show(recorded)
    if how == "loose":
        a, b = re.sub(r"\d+", "#", a), re.sub(r"\d+", "#", b)
    return a == b


async def replay(
    plan: ast.Plan, traj: Trajectory, secrets: Mapping[str, str], runs: Path, answers: str = "loose"
) -> str | None:
    """Run the plan (no model); None if it reproduces the trajectory's outcome, else why not."""
    from ..browser.launch import BrowserNotFound
    from ..browser.session import SessionOptions
    from ..lang.values import bind_inputs
    from ..run.executor import Executor
    from ..run.records import RunRecord

    try:
        values = bind_inputs(plan, {}, secrets)
    except ValueError as err:
        return f"cannot replay: {err} (give it with --secret NAME=VALUE or PLANACT_SECRET_NAME)"
    record = RunRecord.create(runs)
    try:
        result = await Executor(plan, values, record, SessionOptions()).run()
    except BrowserNotFound as err:
        return f"cannot replay: {err}"
    # compared and reported as recorded: with the secrets masked (a trajectory's answer has them masked too)
    answer, error = record.scrub(result.answer), record.scrub(result.error)
    if result.status != "succeeded":
        return f"the replay failed: {error}"
    if not same_answer(answer, traj.answer, answers):
        return f"the replay answered {show(answer)!r}, the trajectory {show(traj.answer)!r}"
    return None


def ledger(out: Path, name: str = LEDGER) -> list[dict[str, Any]]:
    return read_jsonl(out / name)


@dataclass
class Teacher:
    """Asks the teacher model for a grounded plan of a trajectory, re-asking with the reason on a bad answer."""

    model: Model
    attempts: int = 3
    max_tokens: int = 2048
    temperature: float = 0.0

    def messages(self, traj: Trajectory, expected: list[str]) -> list[Message]:
        numbered = []
        for n, (text, action) in enumerate(zip(expected, traj.actions, strict=True), 1):
            numbered.append(f"{n}. {text}" + (f"    # {action.url}" if action.url else ""))
        return conversation(
            "synth_ground",
            {},
            {
                "task": traj.task, "start_url": traj.start_url,
                "sites": "".join(f'site {k} = "{v}"\n' for k, v in traj.sites.items())
                + "".join(f"input {s}: secret\n" for s in traj.secrets),
                "actions": "\n".join(numbered), "feedback": "",
            },
        )  # fmt: skip

    def ground(self, traj: Trajectory, expected: list[str], rejections: list[str]) -> ast.Plan | None:
        messages = prompt = self.messages(traj, expected)
        for _ in range(max(1, self.attempts)):
            completion = self.model.complete(messages, max_tokens=self.max_tokens, temperature=self.temperature)
            _, body = split_reasoning(completion.text)
            try:
                return accept(body, traj, expected)
            except Rejected as err:
                rejections.append(str(err))
                messages = ask_again(
                    prompt,
                    completion.text,
                    f"That plan cannot be used:\n{err}\nWrite the whole plan again, fixed.",
                    messages,
                )
        return None


@dataclass
class RecordedSteps:
    """Not a model: the step structure of the plan a trajectory was recorded from, as the teacher's answer.

    For trajectories that ``planact record`` made from planact's own runs the grouping
    is known: each run of consecutive actions of one step becomes a step with that
    step's intent (loops come out unrolled into one step, conditions resolved).  The
    answer goes through the same gates as a model's: spans, lint, replay.
    """

    attempts: int = 1

    def ground(self, traj: Trajectory, expected: list[str], rejections: list[str]) -> ast.Plan | None:
        if not traj.intents or any(a.step is None for a in traj.actions):
            rejections.append("the trajectory does not say which step each action belonged to (not a planact run)")
            return None
        groups: list[tuple[str, list[str]]] = []
        for action, text in zip(traj.actions, expected, strict=True):
            if groups and groups[-1][0] == action.step:
                groups[-1][1].append(text)
            else:
                groups.append((action.step or "", [text]))
        seen: dict[str, int] = {}
        lines = [header(traj)]
        for step, actions in groups:
            seen[step] = seen.get(step, 0) + 1
            name = step if seen[step] == 1 else f"{step}_{seen[step]}"
            intent = format_string(ast.StringLit(parts=(traj.intents.get(step, step),)))
            lines.append(f"step {name} {intent}:\n" + "".join(f"    {a}\n" for a in actions))
        try:
            return accept("\n".join(lines), traj, expected)
        except Rejected as err:
            rejections.append(str(err))
            return None


def ground_all(
    trajectories: Iterable[Trajectory],
    teacher: Teacher | RecordedSteps | TeacherRecipe,
    out: Path,
    *,
    secrets: Mapping[str, str] | None = None,
    replay_mode: str = "auto",  # auto: replay where the site answers; always: unreachable is a drop; never
    answers: str = "loose",  # how a replay's answer must match the recorded one (see same_answer)
    progress: Callable[[Grounding], None] | None = None,
    backend: Any = None,
    parallel: int = 1,
    timeout_s: float = 600.0,
    on_start: Callable[[dict[str, Any]], None] | None = None,
) -> list[Grounding]:
    """Ground every trajectory not yet in the ledger of ``out``; returns what became of each one this time,
    in the order given.

    The teacher and the replays run here, or on ``backend``'s workers (a model teacher goes there as a
    :class:`~planact.synth.jobs.TeacherRecipe`); the kept plans and the ledger are written here.  A
    trajectory whose run broke down (its worker died, or ``timeout_s`` ran out) comes back with ``error``
    set and no ledger line: the same call again grounds it again.
    """
    from .jobs import GroundJob, run_items

    out.mkdir(parents=True, exist_ok=True)
    done = {entry["id"] for entry in ledger(out)}
    pending: dict[str, Trajectory] = {}
    for traj in trajectories:
        if traj.id not in done and traj.id not in pending:
            pending[traj.id] = traj
    results: dict[str, Grounding] = {}

    def deliver(row: dict[str, Any]) -> None:
        traj = pending[row["id"]]
        if row["status"] != "ok":  # no verdict: nothing is written
            result = Grounding(traj.id, kept=False, task=traj.task, actions=len(traj.actions), error=row["error"])
        else:
            result = Grounding(**row["grounding"])
            if row["plan"] is not None:
                keep_plan(out, traj, result, row["plan"])
            append_jsonl(out / LEDGER, result.line(), sync=True, default=str)
        results[traj.id] = result
        if progress is not None:
            progress(result)

    job = GroundJob(teacher, dict(secrets or {}), replay_mode, answers, timeout_s)
    run_items(
        job, pending.values(), out, deliver, backend=backend, parallel=parallel, timeout_s=timeout_s,
        blank=GroundJob.blank, arguments=lambda traj: (without_pages(traj),), on_start=on_start or (lambda row: None),
        label=lambda row: f"trajectory {row['id']}", noun="trajectories",
    )  # fmt: skip
    return [results[key] for key in pending if key in results]


def without_pages(traj: Trajectory) -> Trajectory:
    """The trajectory as grounding and replay read it: its pages left out (they stay on the driver)."""
    actions = [a.model_copy(update={"page_before": None, "page_after": None}) for a in traj.actions]
    return traj.model_copy(update={"start_page": None, "actions": actions})


def grounded_plan(
    traj: Trajectory,
    teacher: Teacher | RecordedSteps,
    secrets: Mapping[str, str],
    replay_mode: str,
    answers: str = "loose",
    deadline: float | None = None,
) -> tuple[Grounding, str | None]:
    """What becomes of ``traj``, and the text of its plan when that passed every gate (for :func:`keep_plan`).

    The replay is cancelled at ``deadline`` (``time.monotonic()``), and TimeoutError raised: no verdict.
    """
    result = Grounding(traj.id, kept=False, task=traj.task, actions=len(traj.actions))
    if traj.status != "succeeded":
        result.reason = "the trajectory did not succeed (only successful trajectories are grounded)"
        return result, None
    if not traj.actions:
        result.reason = "the trajectory has no actions"
        return result, None
    try:
        expected = traj.texts()
    except ValueError as err:
        result.reason = f"the trajectory is not readable: {err}"
        return result, None
    try:
        plan = teacher.ground(traj, expected, result.rejections)
    except ModelError as err:
        result.reason = f"the teacher model failed: {err}"
        return result, None
    if plan is None:
        result.reason = f"no usable answer in {len(result.rejections)} tries: {result.rejections[-1]}"
        return result, None
    result.steps = len(plan.steps)
    if replay_mode != "never":
        if reachable(traj.sites.values() or [traj.start_url]):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError("no time left for the replay")
            with tempfile.TemporaryDirectory(prefix="planact-synth-") as runs:
                problem = asyncio.run(asyncio.wait_for(replay(plan, traj, secrets, Path(runs), answers), left))
            result.replayed = problem is None
            if problem is not None:
                result.reason = problem
                return result, None
        elif replay_mode == "always":
            result.reason = "the site does not answer, so the plan could not be replayed"
            return result, None
    return result, format_plan(plan)


def keep_plan(out: Path, traj: Trajectory, result: Grounding, text: str) -> None:
    """Write a plan that passed every gate and its trajectory (pages and all) under ``out``; mark it kept."""
    name = f"grounded/{traj.id}.pa"
    write_whole(out / f"grounded/{traj.id}.trajectory.json", traj.model_dump_json(exclude_none=True, indent=1))
    write_whole(out / name, text)
    result.kept, result.plan = True, name


def kept(out: Path) -> list[tuple[dict[str, Any], ast.Plan, Trajectory]]:
    """The kept grounded plans of a synth folder with their trajectories, in ledger order."""
    found = []
    for entry in ledger(out):
        if entry.get("kept") and entry.get("plan"):
            plan_path = out / entry["plan"]
            traj_path = out / f"grounded/{entry['id']}.trajectory.json"
            if plan_path.exists() and traj_path.exists():
                traj = Trajectory.model_validate_json(traj_path.read_text(encoding="utf-8"))
                found.append((entry, parse(plan_path.read_text(encoding="utf-8")), traj))
    return found
