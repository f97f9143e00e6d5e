"""Run a plan with page recording: the run folder that becomes a trajectory (``planact record``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from ..check import lint_text
from ..syntax.format import format_plan


class RecordError(Exception):
    """The plan cannot be run: it does not lint, or an input is missing; the message says which."""


def record_plan(
    path: Path,
    inputs: Mapping[str, str],
    secrets: Mapping[str, str],
    sites: Mapping[str, str],
    runs: Path,
) -> Path:
    """Run the plan at ``path`` (no model) recording the page before and after each action; its run folder.

    ``inputs`` and ``secrets`` the plan does not declare are ignored (one set of
    options serves many plans); ``sites`` point declared sites at other URLs.
    """
    from ..bench.agents import with_sites
    from ..browser.session import SessionOptions
    from ..run.executor import Executor, bind_inputs
    from ..run.records import RunRecord

    plan, diagnostics = lint_text(path.read_text(encoding="utf-8"), str(path))
    errors = [d for d in diagnostics if d.severity == "error"]
    if plan is None or errors:
        first = (errors or diagnostics)[0]
        raise RecordError(f"{path}:{first.span.line}:{first.span.column}: {first.code} {first.message}")
    plan = with_sites(plan, dict(sites))
    declared = {i.name.name for i in plan.inputs}
    try:
        values = bind_inputs(
            plan,
            {k: v for k, v in inputs.items() if k in declared},
            {k: v for k, v in secrets.items() if k in declared},
        )
    except ValueError as err:
        raise RecordError(f"{path}: {err}") from None
    record = RunRecord.create(runs)
    record.start(format_plan(plan), values)
    asyncio.run(Executor(plan, values, record, SessionOptions(), base=str(path.parent), pages=True).run())
    return record.path
