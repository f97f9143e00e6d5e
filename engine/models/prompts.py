"""Prompts live in files (``planact/models/prompts/*.md``); this module fills them in.

Placeholders are ``${name}`` (``string.Template``), so the braces of plan text
(``"{price}"``) pass through untouched.  ``${language}`` is the shared summary
of the plan language (``language.md``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

from .base import Message


@cache
def prompt_text(name: str) -> str:
    """The raw text of ``prompts/<name>.md``."""
    return resources.files("planact").joinpath(f"models/prompts/{name}.md").read_text(encoding="utf-8")


def render(name: str, **fields: object) -> str:
    """``prompts/<name>.md`` with its ``${placeholders}`` filled (the language summary included)."""
    values = {"language": prompt_text("language"), **{k: "" if v is None else str(v) for k, v in fields.items()}}
    return Template(prompt_text(name)).safe_substitute(values).strip() + "\n"


def conversation(name: str, system: dict[str, object], user: dict[str, object]) -> list[Message]:
    """The system and user messages of the prompt pair ``<name>.system.md`` / ``<name>.user.md``."""
    return [
        {"role": "system", "content": render(f"{name}.system", **system)},
        {"role": "user", "content": render(f"{name}.user", **user)},
    ]
