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
    ref: str | None = Field(
        default=None, description="the element's reference (eN) in the page observations, when one was made of it"
    )


class ActionDone(_Event):
    event: Literal["action"]
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


class ModelCall(_Event):
    event: Literal["model_call"]
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


class ModelRejected(_Event):
    event: Literal["model_rejected"]
    role: Literal["planner", "executor"]
    purpose: Literal["plan", "ground", "replan"]
    step: str | None
    reason: str


class ModelFailed(_Event):
    event: Literal["model_error"]
    role: Literal["planner", "executor"]
    purpose: Literal["plan", "ground", "replan"]
    step: str | None
    model: str
    error: str


class StepGrounded(_Event):
    event: Literal["step_grounded"]
    step: str
    actions: list[str] = Field(description="the actions written back into the step, as plan text")
    healed: bool = Field(description="true when the step's own actions failed and the model grounded it again")
    reason: str | None = None
    turns: int


class PlanRevised(_Event):
    event: Literal["plan_revised"]
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


class NavigationBlocked(_Event):
    event: Literal["navigation_blocked"]
    step: str | None = None
    url: str
    origin: str | None = Field(description="the origin the plan declares no `site` for")


class PlanKept(_Event):
    event: Literal["plan_kept"]
    after: str
    reason: str | None = None


class Episode(_Event):
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
    | NavigationBlocked
    | Episode,
    Field(discriminator="event"),
]
RUN_EVENT = TypeAdapter(RunEvent)
