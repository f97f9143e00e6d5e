"""The drift check (`planact exec --check-drift RUN`): each action of a plan must resolve to the element it
resolved to in a recorded run; an action whose target now resolves to another element fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .lifecycle import Lifecycle
from .records import RunRecord

if TYPE_CHECKING:
    from .executor import Executor


class DriftCheck(Lifecycle):
    def __init__(self, reference: RunRecord) -> None:
        self.expected: dict[str, list[dict[str, Any] | None]] = {}  # step -> the targets of its recorded actions
        for event in reference.events():
            if event["event"] == "action":
                self.expected.setdefault(event["step"], []).append(event.get("target"))

    def expected_target(self, run: Executor, step_id: str, index: int) -> dict[str, Any] | None:
        recorded = self.expected.get(step_id, [])
        return recorded[index] if index < len(recorded) else None
