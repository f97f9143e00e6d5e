"""The events of a run record (``events.jsonl``), as pydantic models: one JSON Schema for the log.

The engine builds these objects and :meth:`RunRecord.write` writes them, so the
log cannot say what the schema does not: a field the schema lacks, or a value of
the wrong type, fails where the event is made.  ``planact schema event`` prints
the schema; the end-to-end tests validate every line of every log they produce
against it.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


def _now() -> float:
    return round(time.time(), 3)


def _header_required(schema: dict[str, Any]) -> None:
    """Every written event has its time and kind, though the engine does not pass them."""
    schema["required"] = ["t", "event", *(name for name in schema.get("required", []) if name not in ("t", "event"))]


class Event(BaseModel):
    """One line of ``events.jsonl``.  What is written is the fields given (with ``t`` and ``event``),
    not the defaults of the others: a reader takes a missing field for its default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_header_required)

    t: float = Field(default_factory=_now, description="Unix time when the event was written")
    event: str

    def model_post_init(self, _context: Any) -> None:
        self.__pydantic_fields_set__.update(("t", "event"))

    def fields(self) -> dict[str, Any]:
        """The fields given (no time, no kind): what follows ``t`` and ``event`` on the written line."""
        return self.model_dump(exclude_unset=True, exclude={"t", "event"})


class RunStarted(Event):
    event: Literal["run_started", "run_resumed"]
    plan: str
    steps: int


class BrowserChosen(Event):
    event: Literal["browser"] = "browser"
    executable: str | None
    source: str | None


class StepStarted(Event):
    event: Literal["step_started"] = "step_started"
    step: str
    intent: str | None


class TargetResolved(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None
    name: str
    tag: str
    text: str
    fingerprint: str
    ref: str | None = Field(
        default=None, description="the element's reference (eN) in the page observations, when one was made of it"
    )


class ActionDone(Event):
    event: Literal["action"] = "action"
    step: str
    action: str = Field(description="the action as written in the plan (variables by name, never their values)")
    target: TargetResolved | None
    value: Any = Field(description="what an extract read or an answer gave; secrets appear as ***")
    url: str
    ms: float
    concrete: str | None = Field(
        default=None, description="the action with its values written in, secrets still by name (a trajectory's action)"
    )
    source: Literal["plan", "model"] = Field(
        default="plan", description="plan: an action written in the plan; model: one the executor model chose"
    )


class StepFinished(Event):
    event: Literal["step_finished"] = "step_finished"
    step: str
    output: Any
    url: str
    ms: float
    read: Any = None  # what its extracts read, for a step that declares no output (a resumed run's replanner sees it)


class StepSkipped(Event):
    event: Literal["step_skipped"] = "step_skipped"
    step: str
    reason: str


class StepFailed(Event):
    event: Literal["step_failed"] = "step_failed"
    step: str
    error: str
    ms: float


class RunFinished(Event):
    event: Literal["run_finished"] = "run_finished"
    status: Literal["succeeded", "failed"]
    answer: Any = None
    error: str | None = None
    step: str | None = None


class Warning_(Event):
    event: Literal["warning"] = "warning"
    step: str | None = None
    message: str


class ModelCall(Event):
    event: Literal["model_call"] = "model_call"
    role: Literal["planner", "executor"]
    purpose: Literal["plan", "ground", "replan"]
    step: str | None
    model: str
    prompt_tokens: int
    completion_tokens: int
    estimated: bool = Field(description="true when the backend reported no usage and the tokens were counted here")
    latency_ms: float
    messages: list[dict[str, str]] | None = Field(
        default=None, description="the prompt as sent (role and content of each message), secrets masked"
    )
    completion: str | None = Field(default=None, description="the model's answer as it came back, secrets masked")


class ModelRejected(Event):
    event: Literal["model_rejected"] = "model_rejected"
    role: Literal["planner", "executor"]
    purpose: Literal["plan", "ground", "replan"]
    step: str | None
    reason: str


class ModelFailed(Event):
    event: Literal["model_error"] = "model_error"
    role: Literal["planner", "executor"]
    purpose: Literal["plan", "ground", "replan"]
    step: str | None
    model: str
    error: str


class StepGrounded(Event):
    event: Literal["step_grounded"] = "step_grounded"
    step: str
    actions: list[str] = Field(description="the actions written back into the step, as plan text")
    healed: bool = Field(description="true when the step's own actions failed and the model grounded it again")
    reason: str | None = None
    turns: int


class PlanRevised(Event):
    event: Literal["plan_revised"] = "plan_revised"
    revision: int
    file: str
    added: int
    changed: int
    removed: int
    after: str | None = Field(description="the step after which the plan was revised (None: before any step)")
    reasoning: str | None = Field(default=None, description="the planner's reasoning before its answer, if any")
    source: Literal["planner", "resume"] = Field(
        default="planner", description="who revised it: the planner model, or the user resuming with another plan"
    )


class NavigationBlocked(Event):
    event: Literal["navigation_blocked"] = "navigation_blocked"
    step: str | None = None
    url: str
    origin: str | None = Field(description="the origin the plan declares no `site` for")


class RunCancelled(Event):
    event: Literal["run_cancelled"] = "run_cancelled"
    reason: str = Field(
        description="why the run was stopped from outside (an MCP request cancelled or over its limits)"
    )


class PlanKept(Event):
    event: Literal["plan_kept"] = "plan_kept"
    after: str
    reason: str | None = None


class Episode(Event):
    """A benchmark episode around a run (``planact bench``): how it began, and how it was judged."""

    model_config = ConfigDict(extra="allow")

    event: Literal["episode_started", "episode_finished"]
    benchmark: str
    agent: str
    task: str
    seed: int


RunEvent = Annotated[
    RunStarted
    | BrowserChosen
    | StepStarted
    | ActionDone
    | StepFinished
    | StepSkipped
    | StepFailed
    | RunFinished
    | Warning_
    | ModelCall
    | ModelRejected
    | ModelFailed
    | StepGrounded
    | PlanRevised
    | PlanKept
    | RunCancelled
    | NavigationBlocked
    | Episode,
    Field(discriminator="event"),
]
RUN_EVENT = TypeAdapter(RunEvent)
