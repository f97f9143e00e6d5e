"""Helpers for tests where a ScriptedModel plays the planner or the executor against the demo shop."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path

from planact.browser.session import SessionOptions
from planact.lang.values import bind_inputs
from planact.models import ScriptedModel
from planact.run.executor import Agent, Executor
from planact.run.grounding import references
from planact.run.records import RunRecord
from planact.syntax.parser import parse

_STEP = re.compile(r"^Current step: (\w+)", re.M)


def refs(message: str) -> dict[tuple[str, str], str]:
    """(role, name) -> reference, for the elements an executor prompt shows (first one wins)."""
    found: dict[tuple[str, str], str] = {}
    for ref, described in references(message).items():
        found.setdefault(described, ref)
    return found


Turn = Callable[[dict[tuple[str, str], str]], str]


def executor_script(turns: dict[str, list[Turn | str]]) -> ScriptedModel:
    """A ScriptedModel playing the executor: per step id, its answers turn by turn (functions of the page's refs)."""
    asked: dict[str, int] = {}

    def answer(messages: list) -> str:
        user = messages[-1]["content"]
        step = _STEP.search(user).group(1)
        n = asked[step] = asked.get(step, 0) + 1
        script = turns[step]
        reply = script[min(n, len(script)) - 1]
        return reply if isinstance(reply, str) else reply(refs(user))

    return ScriptedModel(answer, name="scripted-executor")


def run_text(
    text: str, tmp_path: Path, agent: Agent | None = None, *, resume: RunRecord | None = None, timeout_ms: int = 5000
):
    """Run plan text with the given models; returns (result, record, events)."""
    plan = parse(text)
    record = resume or RunRecord.create(tmp_path / "runs")
    if resume is None:
        record.save_plan(text, 0)
    options = SessionOptions(timeout_ms=timeout_ms)
    executor = Executor(plan, bind_inputs(plan, {}, {}), record, options, agent=agent)
    result = asyncio.run(executor.run(resume=resume is not None))
    found = [json.loads(line) for line in record.events_path.read_text().splitlines()]
    from planact.run.events import RUN_EVENT

    for event in found:
        RUN_EVENT.validate_python(event)
    return result, record, found
