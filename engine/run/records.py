"""Run records: one folder per run with an append-only JSONL event log, the plan, screenshots and a trace.

Layout of ``runs/<timestamp>-<id>/``::

    events.jsonl     one JSON object per line, appended and flushed as things happen
    plan.r0.pa       the plan as it ran (later revisions: plan.r1.pa, ...)
    inputs.json      the inputs (secrets are not stored: a resumed run asks again)
    screenshots/     one JPEG after each step
    trace.zip        the Playwright trace
    pages.jsonl      with ``planact record``: the page before the first action and after each one

Secrets never reach a record: every text written (events, pages, plan revisions, inputs) goes through
the record's :class:`~planact.scrub.Scrubber`, which masks secret values in every encoding a page may
give them back in (the executor gives it the run's secrets; :meth:`RunRecord.hide` adds more).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..lang.evaluate import Secret
from ..scrub import Scrubber
from .events import Event


def _jsonable(value: Any) -> Any:
    if isinstance(value, Secret):
        return "***"
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def append_jsonl(path: Path, entry: dict[str, Any], *, sync: bool = False, default: Any = None) -> None:
    """Append one JSON line, flushed (and with ``sync``, on disk: a ledger's unit of progress)."""
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False, default=default) + "\n")
        f.flush()
        if sync:
            os.fsync(f.fileno())


def write_whole(path: Path, text: str) -> None:
    """Write a file so that it is either absent or complete (temporary file in the same folder, renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file (none if it is missing; a line cut short by a crash is ignored)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


@dataclass
class RunRecord:
    """The folder of one run."""

    path: Path
    scrubber: Scrubber = field(default_factory=Scrubber, repr=False)  # masks the run's secrets in what it writes

    def hide(self, values: Any) -> Scrubber:
        """Mask these secrets too in everything written from now on: strings, or the run's inputs (their
        :class:`Secret` values); returns the record's scrubber."""
        more = Scrubber.of(values) if isinstance(values, dict) else Scrubber(values)
        if more.secrets and not set(more.secrets) <= set(self.scrubber.secrets):
            self.scrubber = self.scrubber | more
        return self.scrubber

    def scrub(self, value: Any) -> Any:
        """``value`` (text or JSON-like) with the run's secrets masked: what may be written or printed."""
        return self.scrubber.text(value) if isinstance(value, str) else self.scrubber.value(_jsonable(value))

    @classmethod
    def create(cls, root: str | Path = "runs") -> RunRecord:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = Path(root) / f"{stamp}-{secrets.token_hex(3)}"
        (path / "screenshots").mkdir(parents=True)
        return cls(path)

    @property
    def events_path(self) -> Path:
        return self.path / "events.jsonl"

    def write(self, event: Event) -> dict[str, Any]:
        """Append one event, secrets masked (flushed at once, so a killed run loses nothing written); the line."""
        line = {"t": event.t, "event": event.event, **self.scrub(event.fields())}
        append_jsonl(self.events_path, line)
        return line

    def events(self) -> list[dict[str, Any]]:
        """Every event written so far (a line cut short by a crash is ignored)."""
        return read_jsonl(self.events_path)

    def finished(self) -> dict[str, dict[str, Any]]:
        """What a resumed run starts from: each step the log says finished (done or skipped), in the order
        they last finished, as its last ``step_finished`` or ``step_skipped`` event."""
        finished: dict[str, dict[str, Any]] = {}
        for event in self.events():
            if event["event"] in ("step_finished", "step_skipped"):
                finished.pop(event["step"], None)  # a step run again (after a revision) finished last
                finished[event["step"]] = event
        return finished

    @property
    def pages_path(self) -> Path:
        return self.path / "pages.jsonl"

    def write_page(self, page: dict[str, Any]) -> None:
        """Append one page observation (``planact record`` asks for them: a trajectory's pages)."""
        append_jsonl(self.pages_path, self.scrub(page))

    def pages(self) -> list[dict[str, Any]]:
        """The page observations written so far (a line cut short by a crash is ignored)."""
        return read_jsonl(self.pages_path)

    def save_plan(self, text: str, revision: int) -> Path:
        path = self.path / f"plan.r{revision}.pa"
        path.write_text(self.scrub(text), encoding="utf-8")
        return path

    def revisions(self) -> int:
        """How many plan revisions the record holds (plan.r0.pa, plan.r1.pa, ...)."""
        return len(list(self.path.glob("plan.r*.pa")))

    def latest_plan(self) -> Path | None:
        """The last plan revision saved (what a resumed run continues)."""
        found = sorted(self.path.glob("plan.r*.pa"), key=lambda p: int(p.stem.split(".r")[-1]))
        return found[-1] if found else None

    def save_grounded(self, text: str) -> Path:
        """The plan with the steps a model grounded written back (runs again with no model)."""
        path = self.path / "plan.grounded.pa"
        path.write_text(self.scrub(text), encoding="utf-8")
        return path

    def start(self, plan_text: str, values: dict[str, Any]) -> None:
        """A new run's plan (revision 0) and inputs; every secret among the inputs (a plan's secret defaults
        too) is masked in what the record writes from now on."""
        self.hide(values)
        self.save_plan(plan_text, 0)
        self.save_inputs(values)

    def save_inputs(self, inputs: dict[str, Any]) -> None:
        public = {k: v for k, v in inputs.items() if not isinstance(v, Secret)}
        self.hide(inputs)
        (self.path / "inputs.json").write_text(json.dumps(self.scrub(public), indent=2), encoding="utf-8")

    def screenshot_path(self, step_id: str, iteration: int | None = None) -> Path:
        suffix = f"-{iteration}" if iteration is not None else ""
        return self.path / "screenshots" / f"{step_id}{suffix}.jpg"
