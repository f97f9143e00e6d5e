"""The executor: runs a plan's step graph in a real browser and keeps the run record.

Steps run in dependency order (the graph's ready set, in source order).  A
condition is evaluated before a step (per item, for a looped step); a looped
step runs its actions once per item, up to its bound; a step's output is the
value of its last ``extract`` (a list for a looped step) and is bound to the
variable named by its id; an ``answer`` finishes the run.  After each step the
page is screenshotted and the browser's cookies are saved, so a run killed
midway resumes (``resume=True``) from its event log without re-running any
step that finished.

The executor only schedules: it walks the graph and fires the hooks of its
lifecycle (``lifecycle.py``) at each point, and applies what the hooks that
decide answer: the actions a grounding hook performed for a step are written
back into it, a revised plan is patched into the graph in place.  Checkpoints,
page recording, the drift check, grounding (``grounding.py``) and replanning
(``replanning.py``) are such hooks, installed from the run's options.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ..browser.actions import ActionFailed, ActionResult, page_vars, perform
from ..browser.session import LANE, BrowserSession, SessionOptions
from ..graph import build_graph
from ..graph.diff import diff_plans
from ..graph.patch import apply_patch
from ..lang.deps import expr_refs
from ..lang.evaluate import EvaluationError, Secret, evaluate
from ..lang.modules import load_module
from ..lang.origins import origin_of
from ..models.base import Model, ModelError
from ..syntax import ast
from ..syntax.format import format_action, format_plan
from . import events
from .asking import Asker, Tally
from .checkpoint import READS_ONLY, Checkpointer
from .concrete import concrete
from .drift import DriftCheck
from .grounding import Grounder, GroundingFailed
from .lifecycle import Lifecycle
from .modes import REPLAN_MODES
from .pages import PageRecorder
from .planner import LiveView, Planner
from .records import RunRecord
from .replanning import Replanner

NO_MODEL = (
    "step `{step}` has no actions and no model is configured to ground it: "
    "give it an action block, or configure a model (`--model`, the PLANACT_MODEL environment variable, or planact.toml)"
)


class StepFailed(Exception):
    """A step could not be completed; the run stops and stays resumable."""


@dataclass
class Agent:
    """The models of a run and how they are used (no models: the plan must be fully grounded)."""

    planner: Model | None = None  # replans
    executor: Model | None = None  # grounds steps without actions, re-grounds steps whose actions fail
    replan: str = "never"  # never | on-failure | every-step | after-reads
    turns: int = 8  # executor turns a step may stall (change nothing); MOST_TURNS_PER_STALL times that in all
    attempts: int = 3  # answers asked for per planner call before giving up
    max_replans: int = 20

    def __post_init__(self) -> None:
        if self.replan not in REPLAN_MODES:
            raise ValueError(f"--replan takes {', '.join(REPLAN_MODES)}, not {self.replan!r}")
        if self.replan != "never" and self.planner is None:
            raise ValueError(f"--replan {self.replan} needs a planner model")


@dataclass
class RunResult:
    """How a run ended."""

    status: str  # succeeded | failed
    answer: Any = None
    error: str | None = None
    failed_step: str | None = None
    steps: dict[str, str] = field(default_factory=dict)  # id -> done | skipped | failed
    outputs: dict[str, Any] = field(default_factory=dict)
    record: RunRecord | None = None
    blocked: list[str] = field(default_factory=list)
    seconds: float = 0.0
    plan: ast.Plan | None = None  # the plan as it ended: last revision, grounded steps written back
    tokens: dict[str, Any] = field(default_factory=dict)
    revisions: int = 0


Hook = Callable[[str, dict[str, Any]], None]


class Executor:
    """Runs one plan; ``hooks`` are called with every event (progress display, replanning later)."""

    def __init__(
        self,
        plan: ast.Plan,
        inputs: Mapping[str, Any],
        record: RunRecord,
        options: SessionOptions,
        *,
        base: str | None = None,
        hooks: list[Hook] | None = None,
        parallel: int = 1,
        agent: Agent | None = None,
        session: BrowserSession | None = None,
        pages: bool = False,
        lifecycle: list[Lifecycle] | None = None,
    ) -> None:
        self.plan = plan
        self.record = record
        self.graph = build_graph(plan)
        self.sites = {s.name.name: s.url.text for s in plan.sites}
        options.allowed_origins = frozenset(o for o in (origin_of(u) for u in self.sites.values()) if o)
        options.secrets = tuple(v.reveal() for v in inputs.values() if isinstance(v, Secret))
        self.options = options
        self.variables: dict[str, Any] = dict(inputs)
        self.procedures = procedures_of(plan, base)
        self.hooks = hooks or []
        self.parallel = max(1, parallel)
        # a session given by the caller is started and closed by the caller (a benchmark episode
        # prepares the page before the plan runs and judges it after); the run keeps its own otherwise
        self.own_session = session is None
        self.session = session if session is not None else BrowserSession(options)
        if session is not None:  # the caller's origins (a benchmark's task server) and the plan's
            session.options.allowed_origins = session.options.allowed_origins | options.allowed_origins
            session.options.secrets = tuple(dict.fromkeys(session.options.secrets + options.secrets))
        record.hide(self.session.options.secrets)  # every text the run writes, prints or asks a model is scrubbed
        self._done_actions: dict[str, int] = {}
        self.agent = agent or Agent()
        self.tally = Tally()
        self.asker = Asker(self.emit, self.tally, record.scrubber)
        self.replans_applied = 0
        self.grounded: set[str] = set()  # steps whose actions a hook wrote (a model's)
        self.errors: dict[str, str] = {}
        # what a finished step's extracts read where it declares no output: not a variable, but the replanner
        # is shown it (a compact plan's `step low "Read the links"` declares none)
        self.read: dict[str, Any] = {}
        # the hooks of the run's lifecycle: its checkpoints, page recording (`pages`: the page after every
        # action, pages.jsonl), grounding (an executor model), replanning (a planner model and --replan), then
        # the caller's
        self.state_file = record.path / "browser-state.json"  # the cookies a resumed run starts from
        agent = self.agent
        deciding: list[Lifecycle] = []
        if agent.executor is not None:
            deciding.append(Grounder(agent.executor, self.asker, self.sites, turns=agent.turns))
        if agent.planner is not None and agent.replan != "never":
            planner = Planner(agent.planner, self.asker, attempts=agent.attempts)
            deciding.append(Replanner(planner, agent.replan, agent.max_replans))
        self.lifecycle: list[Lifecycle] = [
            Checkpointer(self.state_file),
            *([PageRecorder()] if pages else []),
            *deciding,
            *(lifecycle or []),
        ]
        self._page_of: dict[str, Any] = {}  # step -> the page it ran on (None: the main page); its branch goes on there
        self._lanes: list[Any] = []  # the pages opened for branches, beside the main page
        self._changed_by: dict[int, str] = {}  # id(page) -> the step whose action changed it last (id(None): main)
        self._left_at: dict[str, str | None] = {}  # step -> the page's _changed_by when the step ended
        self._url_after: dict[str, str] = {}  # step -> the address its page was at when it ended
        self._blocked_seen = 0  # how many of the session's blocked navigations have been reported

    def expect_run(self, record: RunRecord) -> None:
        """Check targets against a recorded run: an action whose target now resolves differently fails (the page drifted)."""
        self.lifecycle.append(DriftCheck(record))

    def emit(self, event: events.Event) -> None:
        line = self.record.write(event)
        for hook in self.hooks:
            hook(event.event, line)

    async def fire(self, point: str, *args: Any) -> None:
        """Call every lifecycle hook's method ``point`` (see :class:`Lifecycle`), in order."""
        for hook in self.lifecycle:
            await getattr(hook, point)(self, *args)

    async def decide(self, point: str, *args: Any) -> Any:
        """The first answer (not None) of the lifecycle hooks' method ``point``, asked in order; None: none answered."""
        for hook in self.lifecycle:
            answer = await getattr(hook, point)(self, *args)
            if answer is not None:
                return answer
        return None

    # ------------------------------------------------------------ resume

    def restore(self) -> dict[str, Any]:
        """Mark the steps the record says finished (:meth:`RunRecord.finished`), with their outputs and what
        their extracts read (:attr:`read`); the last that finished done (its ``url`` is where the resumed
        run's page goes back to)."""
        last: dict[str, Any] = {}
        for step_id, event in self.record.finished().items():
            if step_id not in self.graph.nx:
                continue
            if event["event"] == "step_skipped":
                self.graph.mark(step_id, "skipped")
                continue
            self.graph.mark(step_id, "done", event.get("output"))
            if event.get("output") is not None:
                self.variables[step_id] = event["output"]
            elif event.get("read") is not None:  # what its extracts read: the replanner is shown it
                self.read[step_id] = event["read"]
            last = event
        return last

    def ungroundable(self) -> list[str]:
        """Pending steps that no one can do: no actions, and no hook grounds them (see :func:`ungroundable_steps`)."""
        pending = [self.graph.step(n) for n in self.graph.ids() if self.graph.status(n) == "pending"]
        return [
            n for n in ungroundable_steps(pending, self.procedures)
            if not any(hook.grounds(self, self.graph.step(n)) for hook in self.lifecycle)
        ]  # fmt: skip

    # ------------------------------------------------------------ run

    async def run(self, resume: bool = False) -> RunResult:
        started = time.perf_counter()
        result = RunResult("failed", record=self.record)
        last = self.restore() if resume else {}
        self.emit(
            events.RunStarted(
                event="run_resumed" if resume else "run_started", plan=self.plan.title.text, steps=len(self.graph.nx)
            )
        )
        try:
            ungroundable = self.ungroundable()
            if ungroundable:
                result.failed_step = ungroundable[0]
                raise StepFailed(refusal(ungroundable))
            if self.own_session:
                await self.session.start()
            self.emit(
                events.BrowserChosen(
                    executable=self.session.choice.executable if self.session.choice else None,
                    source=self.session.choice.source if self.session.choice else None,
                )
            )
            if resume and self.state_file.exists():
                await self.session.context.add_cookies(json.loads(self.state_file.read_text())["cookies"])
                if last.get("url"):
                    await self.session.page.goto(last["url"])
            await self.fire("before_run")
            while True:
                batch = self.graph.ready()[: self.parallel]
                if not batch:
                    break
                try:
                    answer = await self._run_batch(batch, result)
                except StepFailed as err:
                    if not await self._revise(batch, str(err)):
                        raise
                    result.failed_step = None
                    continue
                if answer is not _NO_ANSWER:
                    result.answer = answer
                    self._skip_rest(result)
                    break
                await self._revise(batch)
            pending = [n for n in self.graph.ids() if self.graph.status(n) == "pending"]
            if pending:
                raise StepFailed(f"steps {', '.join(pending)} can never run (a dependency cycle?)")
            result.status = "succeeded"
            await self._drain()
            self.emit(events.RunFinished(status="succeeded", answer=result.answer))
        except StepFailed as err:
            result.error = str(err)
            await self._drain()
            self.emit(events.RunFinished(status="failed", error=result.error, step=result.failed_step))
        finally:
            await self._drain()
            result.blocked = list(self.session.blocked)
            result.steps = {n: self.graph.status(n) for n in self.graph.ids()}
            result.outputs = {k: v for k, v in self.variables.items() if k in self.graph.nx}
            result.plan = self.graph.to_plan()
            result.tokens = self.tally.as_dict()
            result.revisions = self.replans_applied
            if self.grounded:
                self.record.save_grounded(format_plan(result.plan))
            await self.fire("after_run", result)
            if self.own_session:
                await self.session.close()
            result.seconds = time.perf_counter() - started
        return result

    async def _run_batch(self, batch: list[str], result: RunResult) -> Any:
        """Run ready steps, each on the page of the branch it continues (see :meth:`_page_for`); several at once
        when they are independent, each on a page of its own."""
        pages: list[Any] = []
        for step_id in batch:
            pages.append(await self._page_for(step_id, pages))
        if len(batch) == 1:  # on this task: a task of its own would let the next command go before the checkpoint's
            token = LANE.set(pages[0])
            try:
                answer = await self._run_step_on(batch[0], pages[0], result)
            finally:
                LANE.reset(token)
            await self._close_idle_lanes()
            return answer

        async def in_lane(step_id: str, page: Any) -> Any:
            LANE.set(page)
            return await self._run_step_on(step_id, page, result)

        try:
            outcomes = await asyncio.gather(
                *(in_lane(s, page) for s, page in zip(batch, pages, strict=True)), return_exceptions=True
            )
        finally:
            await self._close_idle_lanes(drained=False)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return next((o for o in outcomes if o is not _NO_ANSWER), _NO_ANSWER)

    async def _run_step_on(self, step_id: str, page: Any, result: RunResult) -> Any:
        self._page_of[step_id] = page
        try:
            answer = await self._run_step(step_id, result)
        finally:
            self._url_after[step_id] = (page if page is not None else self.session.page).url
            self._left_at[step_id] = self._changed_by.get(id(page))
        await self.fire("after_step", step_id)
        return answer

    def _follows(self, step_id: str) -> str | None:
        """The predecessor whose page a step goes on with: one that ran before one that was skipped, one it
        follows in its branch (by `after`, or by being written after it) before one whose output it only
        reads, and the last written of those.  None: no predecessor ran in this process (a first step, or a
        resumed run's)."""
        nx_graph = self.graph.nx
        known = [p for p in nx_graph.predecessors(step_id) if p in self._page_of]
        if not known:
            return None
        return max(
            known,
            key=lambda p: (
                self.graph.status(p) == "done",
                nx_graph.edges[p, step_id].get("kind") != "data",
                self.graph.position.get(p, 0.0),
            ),
        )

    async def _page_for(self, step_id: str, taken: list[Any]) -> Any:
        """The page a step runs on: its branch's, as the step it follows left it.  That is the page itself while
        no other step changed it since (and no other step of this batch has it); otherwise a new page opened at
        the address where that step left it, so a branch never sees another branch's page, whatever
        --parallel is.  A change by one of the step's own predecessors (the other side of a join) is its
        branch's own.  A step whose condition is already false needs no page of its own.  None is the run's
        main page (its current tab)."""
        before = self._follows(step_id)
        page = None if before is None else self._page_of[before]
        changer = self._changed_by.get(id(page))
        unchanged = (
            before is None
            or changer == self._left_at.get(before)
            or (changer in self.graph.nx and nx.has_path(self.graph.nx, changer, step_id))  # by its own past
        )
        if unchanged and not (page is not None and page.is_closed()) and not any(page is other for other in taken):
            return page
        if self._skips(step_id):
            return page
        at = self._url_after.get(before) if before is not None else None
        lane = await self.session.open_lane(url=at, at=page)
        self._lanes.append(lane)
        return lane

    def _skips(self, step_id: str) -> bool:
        """Whether a step's condition is false already, before any page is read (a branch not taken)."""
        step = self.graph.step(step_id)
        if step.condition is None or step.loop is not None or any(r.name == "page" for r in expr_refs(step.condition)):
            return False
        try:
            return evaluate(step.condition, self.variables) is not True
        except EvaluationError:
            return False

    async def _close_idle_lanes(self, drained: bool = True) -> None:
        """Close the branch pages no pending step continues on (after their screenshots are taken)."""
        nx_graph = self.graph.nx
        needed = {
            id(self._page_of[p])
            for n in self.graph.ids() if self.graph.status(n) == "pending"
            for p in nx_graph.predecessors(n) if p in self._page_of
        }  # fmt: skip
        idle = [lane for lane in self._lanes if id(lane) not in needed]
        if not idle and drained:
            return
        await self._drain()
        for lane in idle:
            self._lanes.remove(lane)
            await lane.close()

    def _skip_rest(self, result: RunResult) -> None:
        for n in self.graph.ids():
            if self.graph.status(n) == "pending":
                self.graph.mark(n, "skipped")
                self.emit(events.StepSkipped(step=n, reason="the plan already answered"))

    async def _drain(self) -> None:
        """Wait for the hooks' work still in flight (before a page closes, and before the run ends)."""
        await self.fire("settle")

    async def _run_step(self, step_id: str, result: RunResult) -> Any:
        step = self.graph.step(step_id)
        self.graph.mark(step_id, "running")
        started = time.perf_counter()
        self.emit(events.StepStarted(step=step_id, intent=step.intent.text if step.intent else None))
        await self.fire("before_step", step_id)
        try:
            items: list[Any] = [None]
            if step.loop is not None:
                iterable = evaluate(step.loop.iterable, self.variables)
                if not isinstance(iterable, list):
                    raise StepFailed(f"`for {step.loop.var.name} in ...` got {type(iterable).__name__}, not a list")
                items = iterable[: step.loop.max] if step.loop.max is not None else iterable
            outputs, answer, ran = [], _NO_ANSWER, 0
            for item in items:
                scope = dict(self.variables)
                if step.loop is not None:
                    scope[step.loop.var.name] = item
                if (
                    step.condition is not None
                    and evaluate(
                        step.condition, {**scope, "page": await page_vars(self.session.page, expr_refs(step.condition))}
                    )
                    is not True
                ):
                    continue
                ran += 1
                value, answer = await self._run_actions(step, scope)
                outputs.append(value)
                if answer is not _NO_ANSWER:
                    break
            if ran == 0:
                self.graph.mark(step_id, "skipped")
                self.emit(events.StepSkipped(step=step_id, reason="condition is false"))
                return _NO_ANSWER
            self._raise_if_blocked(step_id)  # a navigation the step started that failed after its last action
            if self.session.page.url.startswith("chrome-error:"):
                raise StepFailed("the page is the browser's error page: its last navigation failed")
        except (ActionFailed, EvaluationError, StepFailed, GroundingFailed, ModelError) as err:
            self.errors[step_id] = str(err)
            self.graph.mark(step_id, "failed")
            result.failed_step = step_id
            self.emit(
                events.StepFailed(step=step_id, error=str(err), ms=round((time.perf_counter() - started) * 1000, 1))
            )
            await self.fire("on_step_failure", step_id, str(err))
            raise StepFailed(f"step `{step_id}` failed: {err}") from None
        output = outputs if step.loop is not None else outputs[0]
        if step.output is not None or (step.call is not None and output is not None):
            self.variables[step_id] = output
        elif read := [v for v in outputs if v is not None]:
            self.read[step_id] = read if step.loop is not None else read[0]  # what its extracts read
        self.graph.mark(step_id, "done", output)
        self.emit(
            events.StepFinished(
                step=step_id,
                output=self.variables.get(step_id),
                url=self.session.page.url,
                ms=round((time.perf_counter() - started) * 1000, 1),
                read=self.read.get(step_id),
            )
        )
        return answer

    def _raise_if_blocked(self, step_id: str, failure: Exception | None = None) -> None:
        """Fail the step if the guard blocked a navigation since the last look (logged as an event each),
        naming the origin: what the step then saw (an error page, no element) is a consequence of it."""
        blocked = self.session.blocked
        new, self._blocked_seen = blocked[self._blocked_seen :], len(blocked)
        for url in new:
            self.emit(events.NavigationBlocked(step=step_id, url=url, origin=origin_of(url)))
        if not new:
            return
        origins = list(dict.fromkeys(origin_of(url) or url for url in new))
        message = (
            f"navigation to {', '.join(origins)} was blocked: the plan declares no `site` for "
            f"{'it' if len(origins) == 1 else 'them'} (a plan may visit only its declared sites; add "
            f'`site NAME = "{origins[0]}"` if it is meant to be visited)'
        )
        if failure is not None:
            message += f"; then {failure}"
        raise StepFailed(message)

    def _actions_of(self, step: ast.Step, scope: dict[str, Any]) -> tuple[tuple[ast.Action, ...], dict[str, Any]]:
        if step.call is None:
            if step.actions is None:
                raise StepFailed(NO_MODEL.format(step=step.id.name))
            return step.actions, scope
        proc = self.procedures.get(step.call.name.name)
        if proc is None:
            raise StepFailed(f"procedure `{step.call.name.name}` is not defined (is `use web` missing?)")
        if proc.actions is None:
            raise StepFailed(NO_MODEL.format(step=step.id.name))
        params: dict[str, Any] = {"page": scope.get("page")}
        positional = [a for a in step.call.args if a.name is None]
        for p, arg in zip(proc.params, positional, strict=False):
            params[p.name.name] = evaluate(arg.value, scope)
        for arg in step.call.args:
            if arg.name is not None:
                params[arg.name.name] = evaluate(arg.value, scope)
        return proc.actions, params

    async def _run_actions(self, step: ast.Step, scope: dict[str, Any]) -> tuple[Any, Any]:
        if step.call is None and step.actions is None and (grounded := await self._ground(step, scope)) is not None:
            return grounded
        actions, scope = self._actions_of(step, scope)
        value, answer = None, _NO_ANSWER
        for position, action in enumerate(actions):
            index = self._done_actions.get(step.id.name, 0)
            self._done_actions[step.id.name] = index + 1
            expected = next(
                (t for h in self.lifecycle if (t := h.expected_target(self, step.id.name, index)) is not None), None
            )
            await self.fire("before_action", step.id.name, action)
            try:
                done = await perform(self.session, action, scope, self.sites, expected)
            except ActionFailed as err:
                self._raise_if_blocked(step.id.name, err)
                if self.session.page.url == "about:blank":
                    raise StepFailed(f"{err}: the page is blank, no step has opened a site yet (begin with a step "
                                     'that does `goto SITE "/"`)') from None  # fmt: skip
                # self-healing: the page changed under a plain step; a hook (the model) grounds the rest of it again
                if step.call is None and step.loop is None:
                    healed = await self._ground(step, scope, reason=str(err), prefix=actions[:position])
                    if healed is not None:
                        return healed
                raise
            self._raise_if_blocked(step.id.name)
            await self._action_done(step.id.name, "plan", action, scope, done)
            if isinstance(action, ast.Extract):
                value = done.value
            elif isinstance(action, ast.Answer):
                answer = done.value
                break
        return value, answer

    async def _action_done(
        self, step_id: str, source: str, action: ast.Action, scope: dict[str, Any], done: ActionResult
    ) -> None:
        """Log an action that ran: as written, with its values written in (a trajectory's action), and its page."""
        self.emit(
            events.ActionDone(
                step=step_id,
                source=source,
                concrete=format_action(concrete(action, scope, self.variables)),
                **done.event(),
            )
        )
        if not isinstance(action, READS_ONLY):
            self._changed_by[id(LANE.get())] = step_id
        await self.fire("after_action", step_id, action, done)

    async def act(self, step_id: str, action: ast.Action, variables: dict[str, Any]) -> ActionResult:
        """Perform an action a hook chose for a step (see :meth:`Lifecycle.ground_step`): its ``before_action`` and
        ``after_action`` points fire and it is logged as the model's; a navigation the guard blocked fails it."""
        await self.fire("before_action", step_id, action)
        try:
            done = await perform(self.session, action, variables, self.sites, None)
        except ActionFailed as err:
            self._raise_if_blocked(step_id, err)
            raise
        self._raise_if_blocked(step_id)
        await self._action_done(step_id, "model", action, variables, done)
        return done

    async def _ground(
        self, step: ast.Step, scope: dict[str, Any], reason: str | None = None, prefix: tuple[ast.Action, ...] = ()
    ) -> tuple[Any, Any] | None:
        """Let a hook do the step (:meth:`Lifecycle.ground_step`) and write the actions it performed back into the
        step (not for looped steps); its (value, answer), or None when no hook answered."""
        step_id = step.id.name
        grounded = await self.decide("ground_step", step, scope, reason)
        if grounded is None:
            return None
        actions = tuple(prefix) + tuple(grounded.actions)
        if step.loop is None:
            if not actions:  # the intent was already met: nothing to do, said so explicitly
                actions = (ast.Wait.new(seconds=0),)
            self.graph.replace_step(step_id, step.model_copy(update={"actions": actions, "call": None}))
            self.grounded.add(step_id)
        self.emit(
            events.StepGrounded(
                step=step_id, actions=[format_action(a) for a in actions], healed=reason is not None, reason=reason,
                turns=grounded.turns,
            )
        )  # fmt: skip
        return grounded.value, grounded.answer if grounded.answered else _NO_ANSWER

    # ------------------------------------------------------------ what the hooks see of the run

    def goal(self) -> str:
        """The goal of the plan as it is now (its title when it states none)."""
        plan = self.graph.to_plan()
        return plan.goal.text if plan.goal else plan.title.text

    def live(self) -> LiveView:
        """The plan as it stands in this run: each step's status, the outputs and errors so far (scrubbed)."""
        return LiveView(
            self.graph.to_plan(),
            {n: self.graph.status(n) for n in self.graph.ids()},
            self.record.scrub(self.step_outputs()),
            self.record.revisions() - 1,
            self.record.scrub(dict(self.errors)),
        )

    def step_outputs(self) -> dict[str, Any]:
        """What each finished step read: its output (a variable), or what its extracts read where it declares
        none (:attr:`read`)."""
        return {k: v for k, v in {**self.read, **self.variables}.items() if k in self.graph.nx}

    def page_after(self, step_id: str) -> Any:
        """The page a step ran on (its branch's), while it is open; the run's main page otherwise."""
        page = self._page_of.get(step_id)
        return page if page is not None and not page.is_closed() else self.session.page

    # ------------------------------------------------------------ revising the plan

    async def _revise(self, batch: list[str], error: str | None = None) -> bool:
        """Ask the hooks for a revision after a batch (:meth:`Lifecycle.revise`) and patch it into the graph in
        place; True when the plan changed."""
        revised = await self.decide("revise", batch, error)
        if revised is None:
            return False
        after = batch[-1]
        failed_steps = [n for n in self.graph.ids() if self.graph.status(n) == "failed"]
        for n in failed_steps:  # a failed step may be rewritten or removed by a revision
            self.graph.mark(n, "pending")
        diff = diff_plans(self.graph.to_plan(), revised.plan)
        problems = apply_patch(self.graph, diff)
        if problems:
            for n in failed_steps:
                self.graph.mark(n, "failed")
            self.emit(events.PlanKept(after=after, reason="; ".join(p.message for p in problems)))
            return False
        for n in failed_steps:  # rewritten, removed, or kept as it was: then it is tried again
            self.errors.pop(n, None)
        revision = self.record.revisions()
        path = self.record.save_plan(format_plan(self.graph.to_plan()), revision)
        added, changed, removed = diff.summary
        self.replans_applied += 1
        self.emit(events.PlanRevised(revision=revision, file=path.name, added=added, changed=changed, removed=removed,
            after=after, reasoning=revised.reasoning or None,
        ))  # fmt: skip
        return True


def procedures_of(plan: ast.Plan, base: str | None) -> dict[str, ast.Define]:
    """The procedures a plan can call: its own, then those of the modules it uses."""
    procedures = {d.name.name: d for d in plan.defines}
    for use in plan.uses:
        module = load_module(use.module, use.is_path, None if base is None else Path(base))
        if module.plan is not None:
            for d in module.plan.defines:
                procedures.setdefault(d.name.name, d)
    return procedures


def ungroundable_steps(steps: Any, procedures: Mapping[str, ast.Define]) -> list[str]:
    """The ids of the steps with no actions of their own or of their procedure: only a model can do them.
    Without an executor model a run refuses them before its browser starts, so that nothing with side
    effects runs ahead of a step that cannot."""
    found = []
    for step in steps:
        if step.call is None:
            missing = step.actions is None
        else:
            proc = procedures.get(step.call.name.name)
            missing = proc is None or proc.actions is None
        if missing:
            found.append(step.id.name)
    return found


def refusal(steps: list[str]) -> str:
    """Why a run without an executor model does not start."""
    if len(steps) == 1:
        return NO_MODEL.format(step=steps[0]) + " (nothing was run)"
    named = ", ".join(f"`{s}`" for s in steps)
    return (
        f"steps {named} have no actions and no model is configured to ground them (nothing was run): give them "
        "action blocks, or configure a model (`--model`, the PLANACT_MODEL environment variable, or planact.toml)"
    )


class _NoAnswer:
    def __repr__(self) -> str:
        return "<no answer>"


_NO_ANSWER: Any = _NoAnswer()
