"""The run record's events are typed: the engine builds them, the record writes them, the schema says them."""

import ast
import json
from pathlib import Path

import pydantic
import pytest

from planact.run import events
from planact.run.events import RUN_EVENT, ActionDone, PlanKept, StepStarted
from planact.run.records import RunRecord

ENGINE = Path(__file__).resolve().parents[1] / "engine"


def test_a_written_event_is_its_given_fields_with_time_and_kind(tmp_path):
    record = RunRecord.create(tmp_path)
    line = record.write(StepStarted(step="search", intent="Search for a mouse"))
    assert list(line) == ["t", "event", "step", "intent"]
    assert line["event"] == "step_started" and isinstance(line["t"], float)
    assert json.loads(record.events_path.read_text()) == line
    RUN_EVENT.validate_python(line)


def test_a_default_is_not_written_and_a_reader_takes_it_for_the_default(tmp_path):
    record = RunRecord.create(tmp_path)
    line = record.write(PlanKept(after="search"))
    assert "reason" not in line
    assert RUN_EVENT.validate_python(line).reason is None


def test_an_event_the_schema_does_not_allow_fails_where_it_is_made():
    with pytest.raises(pydantic.ValidationError, match="colour"):
        StepStarted(step="a", intent=None, colour="red")
    with pytest.raises(pydantic.ValidationError, match="ms"):
        ActionDone(step="a", action="click", target=None, value=None, url="u", ms="slow")


def test_the_schema_requires_time_and_kind_of_every_event():
    schema = RUN_EVENT.json_schema()
    kinds = schema["$defs"]
    assert len(kinds) > 10
    for name, definition in kinds.items():
        if "event" in definition.get("properties", {}):
            assert definition["required"][:2] == ["t", "event"], name


def test_the_engine_writes_no_event_by_name():
    """Every event is built from its class: no ``write("kind", ...)`` or ``emit("kind", ...)`` is left."""
    offenders = []
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute | ast.Name)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("write", "emit")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value in {k for c in _kinds() for k in c}
            ):
                offenders.append(f"{path.relative_to(ENGINE)}:{node.lineno}")
    assert not offenders


def _kinds() -> list[tuple[str, ...]]:
    out = []
    for value in vars(events).values():
        if isinstance(value, type) and issubclass(value, events.Event) and value is not events.Event:
            annotation = value.model_fields["event"].annotation
            out.append(tuple(getattr(annotation, "__args__", ())))
    return out


def test_a_resumed_run_knows_what_the_finished_steps_read(tmp_path):
    """A step that extracts but declares no output (`step low "Read the links"`) is not a variable, but the
    replanner is shown what it read; its `step_finished` event keeps that, so a resumed run's replanner
    sees it too (it saw nothing of it before)."""
    from planact import parse
    from planact.browser.session import SessionOptions
    from planact.run.executor import Executor

    plan = parse(
        'plan "p"\n\nsite s = "http://127.0.0.1:9"\n\n'
        'step low "Read the links":\n    extract css ".link" as list of text\n\n'
        'step price "Read the price" -> number:\n    extract css ".price" as number\n\n'
        'step click "Click the first link"\n'
    )
    record = RunRecord.create(tmp_path)
    for event in (
        events.StepFinished(step="low", output=None, url="http://127.0.0.1:9/", ms=1.0, read=["eget", "massa"]),
        events.StepFinished(step="price", output=12.5, url="http://127.0.0.1:9/", ms=1.0),
    ):
        line = record.write(event)
        RUN_EVENT.validate_python(line)
    resumed = Executor(plan, {}, RunRecord(record.path), SessionOptions())
    resumed.restore()
    assert resumed.step_outputs() == {"low": ["eget", "massa"], "price": 12.5}
    assert resumed.variables["price"] == 12.5 and "low" not in resumed.variables
