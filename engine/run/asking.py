"""Asking a model: every call is logged with its tokens and latency, and answers are cleaned before parsing.

A model answer is plan-language text, possibly preceded by reasoning (comment
lines, or prose from a model that decodes without the grammar) and possibly
wrapped in a Markdown code fence.  :func:`split_reasoning` separates the two:
the reasoning goes to the event log, the text to the parser.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..models.base import ABANDONED, Completion, Message, Model, ModelError
from ..scrub import Scrubber
from . import events

Emit = Callable[[events.Event], Any]  # writes one event of the run's record

# the first line of plan-language text: a header, an item, a patch line or an action
_START = re.compile(
    r"^\s*(plan|goal|use|site|input|define|step|remove|done|goto|click|fill|press|select|check|uncheck|hover|scroll"
    r"|wait|back|forward|tab|extract|assert|answer)\b"
)
_FENCE = re.compile(r"^\s*```")


def split_reasoning(text: str) -> tuple[str, str]:
    """``(reasoning, body)``: leading comment or prose lines, and the plan-language text after them.

    Code fences are dropped.  Comment lines inside the body stay (the parser
    keeps them as comments); only the lines before the first plan-language line
    count as reasoning.
    """
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if not _FENCE.match(line)]
    for index, line in enumerate(lines):
        if _START.match(line):
            reasoning = [ln.strip().removeprefix("#").strip() for ln in lines[:index]]
            return "\n".join(r for r in reasoning if r), "\n".join(lines[index:]).strip("\n") + "\n"
    reasoning = [ln.strip().removeprefix("#").strip() for ln in lines]
    return "\n".join(r for r in reasoning if r), ""


def complete_prefix(text: str, parses: Callable[[str], object]) -> str:
    """An answer cut off by the token limit, cut back to its longest prefix of whole items that parses.

    A grammar-constrained answer is always a valid *prefix*; when the model
    runs out of tokens mid-item, dropping the unfinished item (everything from
    the last line that starts at column 0) gives a complete plan again.
    Returns the text unchanged when it parses, or when no prefix does.
    """
    lines = text.split("\n")
    cuts = [i for i, line in enumerate(lines) if line[:1] not in ("", " ", "\t")]
    for cut in [len(lines), *reversed(cuts)]:
        candidate = "\n".join(lines[:cut]).rstrip() + "\n"
        if not candidate.strip():
            break
        try:
            parses(candidate)
        except Exception:
            continue
        return candidate
    return text


@dataclass
class Tally:
    """Token and time totals over a run's model calls."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False
    latency_ms: float = 0.0

    def add(self, completion: Completion) -> None:
        self.calls += 1
        self.prompt_tokens += completion.usage.prompt_tokens
        self.completion_tokens += completion.usage.completion_tokens
        self.estimated = self.estimated or completion.usage.estimated
        self.latency_ms += completion.latency_ms

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "estimated": self.estimated,
            "seconds": round(self.latency_ms / 1000, 2),
        }


class Asker:
    """Calls a model off the event loop and logs each call (``model_call``) with its usage.

    Every message goes through ``scrub`` first: a secret value never reaches a model's prompt.
    """

    def __init__(self, emit: Emit, tally: Tally | None = None, scrub: Scrubber | None = None) -> None:
        self.emit = emit
        self.tally = tally or Tally()
        self.scrub = scrub or Scrubber()

    async def ask(
        self,
        model: Model,
        messages: Sequence[Message],
        *,
        role: str,
        purpose: str,
        step: str | None = None,
        grammar: Any = None,
        max_tokens: int = 512,
    ) -> Completion:
        abandoned = threading.Event()
        token = ABANDONED.set(abandoned)
        sent = [{**m, "content": self.scrub.text(m["content"])} for m in messages]
        try:
            completion = await asyncio.to_thread(
                model.complete,
                sent,
                grammar=grammar,
                max_tokens=max_tokens,
                temperature=0.0,
            )
        except ModelError as err:
            self.emit(events.ModelFailed(role=role, purpose=purpose, step=step, model=model.name, error=str(err)))
            raise
        except asyncio.CancelledError:  # the caller gave up: let the worker thread stop generating
            abandoned.set()
            raise
        finally:
            ABANDONED.reset(token)
        self.tally.add(completion)
        self.emit(
            events.ModelCall(
                role=role,
                purpose=purpose,
                step=step,
                model=completion.model,
                prompt_tokens=completion.usage.prompt_tokens,
                completion_tokens=completion.usage.completion_tokens,
                estimated=completion.usage.estimated,
                latency_ms=round(completion.latency_ms, 1),
                messages=[{"role": m["role"], "content": m["content"]} for m in sent],  # for `planact report`
                completion=completion.text,
            )
        )
        return completion
