"""Procedure libraries a plan imports with ``use``: ``use web`` (the stdlib) or ``use "file.pa"``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..syntax import ast
from ..syntax.diagnostics import PlanError
from ..syntax.parser import parse


@dataclass(frozen=True)
class Module:
    name: str
    plan: ast.Plan | None = None
    error: str | None = None
    help: str | None = None


def stdlib_modules() -> list[str]:
    """Names of the modules in the standard library (``stdlib/*.pa``)."""
    folder = resources.files("planact").joinpath("stdlib")
    return sorted(p.name[:-3] for p in folder.iterdir() if p.name.endswith(".pa"))


@lru_cache(maxsize=32)
def _parse_text(name: str, text: str) -> Module:
    try:
        return Module(name, parse(text))
    except PlanError as err:
        d = err.diagnostics[0]
        return Module(name, error=f"`{name}` does not parse: {d.span.line}:{d.span.column}: {d.code} {d.message}")


def load_module(name: str, is_path: bool, base: Path | None) -> Module:
    """Find and parse a module; a module that cannot be loaded has ``error`` set."""
    if not is_path:
        resource = resources.files("planact").joinpath(f"stdlib/{name}.pa")
        if not resource.is_file():
            return Module(
                name,
                error=f"unknown module `{name}`",
                help="standard modules: " + ", ".join(stdlib_modules()) + '; a file is imported with `use "path.pa"`',
            )
        return _parse_text(name, resource.read_text(encoding="utf-8"))
    if base is None:
        return Module(name, error=f"cannot import `{name}`: the plan has no file location")
    path = (base / name).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return Module(name, error=f"cannot read `{name}`: {getattr(err, 'strerror', None) or err}")
    return _parse_text(name, text)
