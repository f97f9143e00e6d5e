"""The events of a run record (``events.jsonl``), as pydantic models: one JSON Schema for the log.

``planact schema event`` prints the schema; the end-to-end tests validate
every line of every log they produce against it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    t: float = Field(description="Unix time when the event was written")


class RunStarted(_Event):
    event: Literal["run_started", "run_resumed"]
    plan: str
    steps: int


class BrowserChosen(_Event):
    event: Literal["browser"]
    executable: str | None
    source: str | None


class StepStarted(_Event):
    event: Literal["step_started"]
    step: str
    intent: str | None


class TargetResolved(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None
    name: str
    tag: str
    text: str
    fingerprint: str


class ActionDone(_Event):
    event: Literal["action"]
    step: str
    action: str = Field(description="the action as written in the plan (variables by name, never their values)")
    target: TargetResolved | None
    value: Any = Field(description="what an extract read or an answer gave; secrets appear as ***")
    url: str
    ms: float


class StepFinished(_Event):
    event: Literal["step_finished"]
    step: str
    output: Any
    url: str
    ms: float


class StepSkipped(_Event):
    event: Literal["step_skipped"]
    step: str
    reason: str


class StepFailed(_Event):
    event: Literal["step_failed"]
    step: str
    error: str
    ms: float


class RunFinished(_Event):
    event: Literal["run_finished"]
    status: Literal["succeeded", "failed"]
    answer: Any = None
    error: str | None = None
    step: str | None = None


class Warning_(_Event):
    event: Literal["warning"]
    step: str | None = None
    message: str


RunEvent = Annotated[
    RunStarted
    | BrowserChosen
    | StepStarted
    | ActionDone
    | StepFinished
    | StepSkipped
    | StepFailed
    | RunFinished
    | Warning_,
    Field(discriminator="event"),
]
RUN_EVENT = TypeAdapter(RunEvent)
