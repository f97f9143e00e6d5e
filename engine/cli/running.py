"""`planact exec` and `planact demo`: run a plan in Chromium and show progress (a thin layer over :class:`Executor`)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from ..browser.launch import BrowserNotFound
from ..browser.session import SessionOptions
from ..graph.render_diff import render_text
from ..lang.values import bind_inputs
from ..run.events import PlanRevised
from ..run.executor import Agent, Executor, RunResult, procedures_of, refusal, ungroundable_steps
from ..run.records import RunRecord
from ..syntax.diagnostics import Diagnostic, PlanError, render
from ..syntax.format import format_plan


@dataclass
class ResumedPlan:
    """The plan a resumed run goes on with, or why the plan given cannot resume it."""

    plan: Any = None  # None: refused
    changed: bool = False  # the plan given is a new revision of the run's plan
    diff: Any = None  # the run's latest revision against the plan given
    problems: list[Diagnostic] = field(default_factory=list)
    message: str | None = None


def finished_steps(record: RunRecord) -> dict[str, str]:
    """The steps a run's record says finished: id -> done | skipped."""
    return {step: "done" if e["event"] == "step_finished" else "skipped" for step, e in record.finished().items()}


def resumed_plan(record: RunRecord, given: Any) -> ResumedPlan:
    """Which plan a run resumed with ``given`` continues.

    The run's own plan (its first revision, as started) continues as last revised: rerunning the same
    command resumes where the run stopped, the planner's revisions included.  Any other plan is the user's
    fix: it becomes the next revision, provided that every step that finished (done or skipped) is in it
    unchanged; otherwise it is refused with PA410 for each such step, and a plan with another title is not
    this run's plan at all.
    """
    from ..graph.diff import Remove, Update, diff_plans
    from ..syntax.parser import parse

    first, latest = record.path / "plan.r0.pa", record.latest_plan()
    if latest is None or not first.exists():
        return ResumedPlan(message=f"{record.path} holds no plan revision (plan.r0.pa): it cannot be resumed")
    try:
        current, started = parse(latest.read_text(encoding="utf-8")), parse(first.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, PlanError) as err:
        return ResumedPlan(message=f"{record.path}'s plan revisions cannot be read ({err}): it cannot be resumed")
    if diff_plans(started, given).is_empty:
        return ResumedPlan(plan=current)
    if given.title.text != current.title.text:
        return ResumedPlan(
            message=f"the plan given is not this run's: it is {given.title.text!r}, the run's is "
            f"{current.title.text!r} (start a new run without --resume)"
        )
    finished = finished_steps(record)
    diff = diff_plans(current, given)
    problems = []
    for edit in diff.changed:
        if not isinstance(edit, Remove | Update):
            continue
        old = edit.old if isinstance(edit, Update) else edit.step
        if old.id.name not in finished:
            continue
        if isinstance(edit, Update) and all(c.field == "position" for c in edit.changes):
            continue  # a step inserted before it: it ran as it is
        verb = "change" if isinstance(edit, Update) else "remove"
        where = {"span": edit.new.id.span} if isinstance(edit, Update) else {}
        problems.append(Diagnostic(
            code="PA410", message=f"cannot {verb} step `{old.id.name}`: it is {finished[old.id.name]} in the run",
            help="steps that ran are kept as they were: start a new run, or add a step with a new id", **where,
        ))  # fmt: skip
    if problems:
        return ResumedPlan(diff=diff, problems=problems)
    return ResumedPlan(plan=given, changed=not diff.is_empty, diff=diff)


def agent_from_options(
    model: str | None, planner_model: str | None, executor_model: str | None, replan: str | None, turns: int
) -> Agent:
    """The run's models from the command line, the environment or planact.toml (none configured: no models)."""
    from ..models.base import ModelError
    from ..models.config import load_model

    try:
        planner = load_model(planner_model or model, role="planner")
        executor = load_model(executor_model or model, role="executor")
    except ModelError as err:
        raise click.UsageError(str(err)) from None
    if replan is None:
        replan = "on-failure" if planner is not None else "never"
    try:
        return Agent(planner=planner, executor=executor, replan=replan, turns=turns)
    except ValueError as err:
        raise click.UsageError(str(err)) from None


def secrets_given(values: dict[str, str]) -> dict[str, str]:
    """Secrets from PLANACT_SECRET_NAME variables, overridden by those given as options."""
    prefix = "PLANACT_SECRET_"
    return {**{k[len(prefix) :].lower(): v for k, v in os.environ.items() if k.startswith(prefix)}, **values}


def secret_defaults(plan: Any) -> dict[str, str]:
    """The default values of a plan's secret inputs (``input password: secret = "..."``)."""
    from ..lang.evaluate import evaluate
    from ..syntax import ast

    return {
        i.name.name: str(evaluate(i.default, {})) for i in plan.inputs
        if isinstance(i.type, ast.ScalarType) and i.type.name == "secret" and i.default is not None
    }  # fmt: skip


def parse_pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    """``NAME=VALUE`` options as a dict; a malformed one is a usage error naming the option."""
    out = {}
    for item in values:
        if "=" not in item:
            raise click.UsageError(f"{what} takes NAME=VALUE, not {item!r}")
        name, value = item.split("=", 1)
        out[name.strip()] = value
    return out


class Progress:
    """One line per step as it ends (or nothing, with --json), and a summary table at the end."""

    MARKS = {"step_finished": "✓", "step_skipped": "–", "step_failed": "✗"}

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.rows: dict[str, list[str]] = {}

    def __call__(self, kind: str, event: dict[str, Any]) -> None:
        if kind in self.MARKS:
            output = event.get("output")
            shown = (
                json.dumps(output, ensure_ascii=False)[:60]
                if output is not None
                else event.get("reason") or event.get("error", "")[:60]
            )
            self.rows[event["step"]] = [
                kind.removeprefix("step_"),
                f"{event['ms'] / 1000:.1f}" if "ms" in event else "",
                shown,
            ]
        if not self.enabled:
            return
        if kind in self.MARKS:
            detail = ""
            if kind == "step_finished" and event.get("output") is not None:
                detail = f" → {json.dumps(event['output'], ensure_ascii=False)[:80]}"
            elif kind == "step_failed":
                detail = f"\n    {event['error']}"
            elif kind == "step_skipped":
                detail = f" ({event.get('reason')})"
            ms = f" [{event['ms'] / 1000:.1f} s]" if "ms" in event else ""
            click.echo(f"  {self.MARKS[kind]} {event['step']}{ms}{detail}", err=True)
        elif kind == "step_grounded":
            how = "grounded again (self-healing)" if event["healed"] else "grounded"
            click.echo(f"    {how} by the model: {len(event['actions'])} actions, {event['turns']} turns", err=True)
        elif kind == "navigation_blocked":
            click.echo(
                f"    blocked: navigation to {event['url'][:120]} (no `site` declares {event['origin']})", err=True
            )
        elif kind == "model_rejected":
            click.echo(f"    model answer rejected: {event['reason'].splitlines()[0][:100]}", err=True)
        elif kind == "plan_revised":
            click.echo(
                f"  ↻ plan revision {event['revision']}: +{event['added']} ~{event['changed']} -{event['removed']}"
                f" ({event['file']})",
                err=True,
            )

    def table(self, steps: dict[str, str]) -> None:
        """The summary: one row per step with its status, time and output (or why it was skipped or failed)."""
        from rich.console import Console
        from rich.table import Table

        table = Table(title="steps", title_justify="left", show_edge=False)
        for column in ("step", "status", "seconds", "output / reason"):
            table.add_column(column, justify="right" if column == "seconds" else "left")
        for step, status in steps.items():
            _, seconds, shown = self.rows.get(step, [status, "", ""])
            table.add_row(step, status, seconds, shown)
        Console(stderr=True).print(table)


def run_plan(
    path: str,
    plan: Any,
    *,
    inputs: dict[str, str],
    secrets: dict[str, str],
    options: SessionOptions,
    runs: str,
    resume: str | None,
    as_json: bool,
    check_drift: str | None = None,
    parallel: int = 1,
    agent: Agent | None = None,
    save_grounded: str | None = None,
    source_text: str | None = None,
    after: Callable[[Path], None] | None = None,
) -> int:
    """Run (or resume) a plan; print progress and a summary; return the exit status (0 ok, 1 task failed, 2 bad input).

    ``after`` is called with the run folder once the run has ended and its summary is printed (the CLI writes
    the run's report there).
    """
    secrets = secrets_given(secrets)
    if resume:
        record = RunRecord(Path(resume))
        if not record.events_path.exists():
            click.echo(f"error: {resume} is not a run folder (no events.jsonl)", err=True)
            return 2
        # the run's revisions were saved scrubbed: a secret default reads *** there; compare alike, bind the real one
        secrets = {**secret_defaults(plan), **secrets}
        text = format_plan(plan)
        if record.hide(list(secrets.values())) and record.scrub(text) != text:
            from ..syntax.parser import parse

            plan = parse(record.scrub(text))
        chosen = resumed_plan(record, plan)
        if chosen.plan is None:
            if chosen.message:
                click.echo(f"error: {chosen.message}", err=True)
            for d in chosen.problems:
                click.echo(render(d.located(path), source_text) + "\n", err=True)
            if chosen.diff is not None:
                click.echo(f"the run's plan ({record.latest_plan()}) against {path}:", err=True)
                click.echo(render_text(chosen.diff), err=True, nl=False)
            click.echo(f"error: {path} cannot resume {record.path}", err=True)
            return 2
        plan = chosen.plan
        saved = json.loads((record.path / "inputs.json").read_text()) if (record.path / "inputs.json").exists() else {}
        inputs = {**{k: v if isinstance(v, str) else json.dumps(v) for k, v in saved.items()}, **inputs}
    try:
        values = bind_inputs(plan, inputs, secrets)
    except ValueError as err:
        click.echo(f"error: {err}", err=True)
        return 2
    finished = finished_steps(record) if resume else {}  # the log is read once
    if agent is None or agent.executor is None:
        steps = [s for s in plan.steps if s.id.name not in finished]
        missing = ungroundable_steps(steps, procedures_of(plan, str(Path(path).parent)))
        if missing:
            click.echo(f"error: {refusal(missing)}", err=True)
            return 2
    if not resume:
        record = RunRecord.create(runs)
        record.start(format_plan(plan), values)
    elif chosen.changed:  # the user's fix: the next revision, on record like the planner's
        record.hide(values)
        revision = record.revisions()
        file = record.save_plan(format_plan(plan), revision)
        added, changed, removed = chosen.diff.summary
        record.write(PlanRevised(
            revision=revision, file=file.name, added=added, changed=changed, removed=removed,
            after=list(finished)[-1] if finished else None, source="resume",
        ))  # fmt: skip
        if not as_json:
            click.echo(f"  ↻ {path} is plan revision {revision}: +{added} ~{changed} -{removed}", err=True)
    options.trace_path = None
    if options.trace != "off":
        name = f"trace-resumed-{len(list(record.path.glob('trace*.zip')))}.zip" if resume else "trace.zip"
        options.trace_path = str(record.path / name)
    if not as_json:
        click.echo(
            f"{'Resuming' if resume else 'Running'} {path}: {plan.title.text}  (record: {record.path})", err=True
        )
    progress = Progress(not as_json)
    executor = Executor(
        plan, values, record, options, base=str(Path(path).parent), hooks=[progress], parallel=parallel, agent=agent
    )
    if check_drift:
        reference = RunRecord(Path(check_drift))
        if not reference.events_path.exists():
            click.echo(f"error: {check_drift} is not a run folder (no events.jsonl)", err=True)
            return 2
        executor.expect_run(reference)
    try:
        result: RunResult = asyncio.run(executor.run(resume=bool(resume)))
    except BrowserNotFound as err:
        click.echo(f"error: {err}", err=True)
        return 2
    if save_grounded and result.plan is not None:
        Path(save_grounded).write_text(format_plan(result.plan), encoding="utf-8")
    summary = {
        "status": result.status, "answer": result.answer, "error": result.error, "failed_step": result.failed_step,
        "steps": result.steps, "record": str(record.path), "blocked_navigation": result.blocked, "seconds": round(result.seconds, 2),
        "model_tokens": result.tokens, "revisions": result.revisions,
    }  # fmt: skip
    record.hide(values)
    summary = record.scrub(summary)  # what is printed is scrubbed as what is written
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        progress.table(result.steps)
        done = sum(s == "done" for s in result.steps.values())
        skipped = sum(s == "skipped" for s in result.steps.values())
        click.echo(f"{result.status}: {done} steps done, {skipped} skipped, in {result.seconds:.1f} s", err=True)
        if result.tokens.get("calls"):
            t = result.tokens
            click.echo(
                f"model: {t['calls']} calls, {t['prompt_tokens']} prompt + {t['completion_tokens']} completion tokens"
                f"{' (estimated)' if t['estimated'] else ''}, {t['seconds']:.1f} s; {result.revisions} plan revisions",
                err=True,
            )
        if save_grounded and result.plan is not None:
            click.echo(f"grounded plan: {save_grounded}", err=True)
        if result.answer is not None:
            click.echo(f"answer: {summary['answer']}")
        if result.error:
            click.echo(f"error: {summary['error']}", err=True)
            click.echo(f"resume with: planact exec {path} --resume {record.path}", err=True)
    if after is not None:
        after(record.path)
    return 0 if result.status == "succeeded" else 1
