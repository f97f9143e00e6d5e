"""The model protocol: ``complete(messages, *, grammar=None, ...) -> Completion``.

Every backend (OpenAI-compatible HTTP, vLLM in-process, llama.cpp local) and the
test double :class:`ScriptedModel` implement this one method.  A completion
carries its text, its token usage (from the backend when it reports one, else
a counted estimate, marked as such) and its latency.
"""

from __future__ import annotations

import contextvars
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict

if TYPE_CHECKING:
    from ..syntax.decoding import DecodingGrammar


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class ModelError(Exception):
    """A backend could not produce a completion (unreachable, misconfigured, out of retries)."""


# Set by the caller of a blocking ``complete`` that runs in a worker thread (``asyncio.to_thread`` copies the
# context into it): when the caller gives up (a benchmark episode's timeout), it sets the event, and a backend
# that can stop early stops, instead of holding the model for whoever asks next.
ABANDONED: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("planact_abandoned", default=None)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False  # True when counted here, not reported by the backend

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.estimated or other.estimated,
        )


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage
    model: str
    latency_ms: float = 0.0
    finish_reason: str | None = None


class Model(Protocol):
    """What the planner and the executor need from a language model."""

    name: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        grammar: DecodingGrammar | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Completion: ...


_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+|\S")


def estimate_tokens(text: str) -> int:
    """A counted estimate of a text's tokens: words, numbers and punctuation marks, long words counting double.

    BPE vocabularies split long or rare words; one token per 6 letters is close
    for English and code.  Used only where a backend reports no usage.
    """
    return sum(1 + len(t) // 6 for t in _TOKEN.findall(text))


def estimate_usage(messages: Sequence[Message], text: str) -> Usage:
    prompt = sum(estimate_tokens(m["content"]) + 4 for m in messages)  # role markers
    return Usage(prompt, estimate_tokens(text), estimated=True)


@dataclass
class Request:
    """One call a :class:`ScriptedModel` received."""

    messages: list[Message]
    grammar: str | None  # the grammar's name ("plan", "actions") or None
    gbnf: str | None = None  # the grammar itself, as llama.cpp would get it


@dataclass
class ScriptedModel:
    """A test double for a language model: answers from a list (in order) or from a function of the messages.

    Records every request, so a test can check what the planner or executor
    asked.  Never a default: it exists for tests that need exact answers.
    """

    answers: Sequence[str] | Callable[[list[Message]], str]
    name: str = "scripted"
    prompts: str = "full"  # the prompt form it answers (compact: as a model trained on compact data)
    requests: list[Request] = field(default_factory=list)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        grammar: DecodingGrammar | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Completion:
        started = time.perf_counter()
        messages = list(messages)
        self.requests.append(Request(messages, *((None, None) if grammar is None else (grammar.name, grammar.gbnf))))
        if callable(self.answers):
            text = self.answers(messages)
        else:
            index = len(self.requests) - 1
            if index >= len(self.answers):
                raise ModelError(f"ScriptedModel has {len(self.answers)} answers and was asked a {index + 1}th time")
            text = self.answers[index]
        return Completion(
            text, estimate_usage(messages, text), self.name, (time.perf_counter() - started) * 1000, "stop"
        )
