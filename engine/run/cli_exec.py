"""`planact exec` and `planact demo`: run a plan in Chromium and show progress (a thin layer over :class:`Executor`)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import click

from ..browser.launch import BrowserNotFound
from ..browser.session import SessionOptions
from ..syntax.format import format_plan
from .executor import Executor, RunResult, bind_inputs
from .records import RunRecord


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
) -> int:
    """Run (or resume) a plan; print progress and a summary; return the exit status (0 ok, 1 task failed, 2 bad input)."""
    secrets = {
        **{k[len("PLANACT_SECRET_") :].lower(): v for k, v in os.environ.items() if k.startswith("PLANACT_SECRET_")},
        **secrets,
    }
    if resume:
        record = RunRecord(Path(resume))
        if not record.events_path.exists():
            click.echo(f"error: {resume} is not a run folder (no events.jsonl)", err=True)
            return 2
        saved = json.loads((record.path / "inputs.json").read_text()) if (record.path / "inputs.json").exists() else {}
        inputs = {**{k: v if isinstance(v, str) else json.dumps(v) for k, v in saved.items()}, **inputs}
    try:
        values = bind_inputs(plan, inputs, secrets)
    except ValueError as err:
        click.echo(f"error: {err}", err=True)
        return 2
    if not resume:
        record = RunRecord.create(runs)
        record.save_plan(format_plan(plan), 0)
        record.save_inputs(values)
    options.trace_path = str(
        record.path / ("trace.zip" if not resume else f"trace-resumed-{len(list(record.path.glob('trace*.zip')))}.zip")
    )
    if not as_json:
        click.echo(
            f"{'Resuming' if resume else 'Running'} {path}: {plan.title.text}  (record: {record.path})", err=True
        )
    progress = Progress(not as_json)
    executor = Executor(plan, values, record, options, base=str(Path(path).parent), hooks=[progress], parallel=parallel)
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
    summary = {
        "status": result.status, "answer": result.answer, "error": result.error, "failed_step": result.failed_step,
        "steps": result.steps, "record": str(record.path), "blocked_navigation": result.blocked, "seconds": round(result.seconds, 2),
    }  # fmt: skip
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        progress.table(result.steps)
        done = sum(s == "done" for s in result.steps.values())
        skipped = sum(s == "skipped" for s in result.steps.values())
        click.echo(f"{result.status}: {done} steps done, {skipped} skipped, in {result.seconds:.1f} s", err=True)
        if result.answer is not None:
            click.echo(f"answer: {result.answer}")
        if result.error:
            click.echo(f"error: {result.error}", err=True)
            click.echo(f"resume with: planact exec {path} --resume {record.path}", err=True)
    return 0 if result.status == "succeeded" else 1
