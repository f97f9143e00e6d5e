"""Prompts live in files (``planact/models/prompts/*.md``); this module fills them in.

Placeholders are ``${name}`` (``string.Template``), so the braces of plan text
(``"{price}"``) pass through untouched.  ``${language}`` is the shared summary
of the plan language (``language.md``).

A prompt comes in one of :data:`FORMS`: ``full`` (the language summary and example plans, for a model
that was never trained on planact's data) or ``compact`` (``<name>.compact.*.md`` where it exists: no
summary, no examples, and a planner answer of step lines only, for a model fine-tuned on them).  A
model's form is its ``prompts`` attribute (a trained model's card records it); the data's form is
what :func:`detect_form` finds in its system prompts.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from string import Template

from .base import Message

FORMS = ("full", "compact")


@cache
def prompt_text(name: str) -> str:
    """The raw text of ``prompts/<name>.md``."""
    return resources.files("planact").joinpath(f"models/prompts/{name}.md").read_text(encoding="utf-8")


def render(name: str, **fields: object) -> str:
    """``prompts/<name>.md`` with its ``${placeholders}`` filled (the language summary included)."""
    values = {"language": prompt_text("language"), **{k: "" if v is None else str(v) for k, v in fields.items()}}
    return Template(prompt_text(name)).safe_substitute(values).strip() + "\n"


def _exists(name: str) -> bool:
    return resources.files("planact").joinpath(f"models/prompts/{name}.md").is_file()


def conversation(name: str, system: dict[str, object], user: dict[str, object], form: str = "full") -> list[Message]:
    """The system and user messages of the prompt pair ``<name>.system.md`` / ``<name>.user.md``
    (``<name>.compact.*`` in the compact form, where the prompt has one)."""
    if form not in FORMS:
        raise ValueError(f"unknown prompt form {form!r} (known: {', '.join(FORMS)})")
    if form != "full" and _exists(f"{name}.{form}.system"):
        name = f"{name}.{form}"
    return [
        {"role": "system", "content": render(f"{name}.system", **system)},
        {"role": "user", "content": render(f"{name}.user", **user)},
    ]


def form_of(model: object) -> str:
    """The prompt form a model was trained on (its ``prompts`` attribute; ``full`` when it has none)."""
    form = getattr(model, "prompts", "full")
    return form if form in FORMS else "full"


def detect_form(examples: Iterable[dict | list]) -> str:
    """``compact`` when a chat example's system prompt is a compact prompt (the planner's, the
    replanner's or the executor's), else ``full``: what a model trained on these examples must be served with.

    An example is ``{"messages": [...]}`` or the list of messages itself."""
    compact = {render(f"{name}.compact.system") for name in ("planner", "replanner", "executor")}
    for example in examples:
        messages = (example.get("messages") or []) if isinstance(example, dict) else example
        if messages and isinstance(messages[0], dict) and messages[0].get("content") in compact:
            return "compact"
    return "full"
