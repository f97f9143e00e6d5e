"""Procedure libraries a plan imports with ``use``: ``use web`` (the stdlib) or ``use "file.pa"``.

An imported file's text comes through a :data:`Reader`: the disk by default (what
``planact lint`` reads); the language server passes one that answers from the editor's
open documents first, so that unsaved edits of an imported file count.
"""

from __future__ import annotations

from collections.abc import Callable
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


Reader = Callable[[Path], str]
"""Gives the text of the plan file at a resolved path; raises OSError or UnicodeDecodeError when it cannot."""


def read_from_disk(path: Path) -> str:
    """The text of a plan file as saved (UTF-8)."""
    return path.read_text(encoding="utf-8")


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


def load_module(name: str, is_path: bool, base: Path | None, read: Reader = read_from_disk) -> Module:
    """Find and parse a module; a module that cannot be loaded has ``error`` set.

    A file module (``use "file.pa"``, found from ``base``) is read with ``read``; the
    stdlib always comes from the installed package.
    """
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
        text = read(path)
    except (OSError, UnicodeDecodeError) as err:
        return Module(name, error=f"cannot read `{name}`: {getattr(err, 'strerror', None) or err}")
    return _parse_text(name, text)


def import_cycle(origin: Path, module: str, read: Reader = read_from_disk) -> list[str] | None:
    """The imports ``use "file.pa"`` that lead from the plan file ``origin``, through its
    ``use "module"``, back to a file already on the way (``origin`` itself included).

    Returns the chain as the files are written in their ``use`` lines, starting with
    ``origin``'s name (``["a.pa", "b.pa", "a.pa"]``), or None when the imports end.
    Files that cannot be read or parsed end a chain: that is PA206's business.  Every
    file on the way is read with ``read``; each is read at most once, so the walk ends.
    """
    origin = origin.resolve()
    first = (origin.parent / module).resolve()
    chain: list[tuple[Path, str]] = [(origin, origin.name)]
    done: set[Path] = set()
    pending = [iter([(first, module)])]  # one iterator of (path, name as written) per file on the chain
    while pending:
        step = next(pending[-1], None)
        if step is None:
            pending.pop()
            done.add(chain.pop()[0])
            continue
        path, name = step
        if any(path == p for p, _ in chain):
            return [n for _, n in chain] + [name]
        if path in done:
            continue
        loaded = load_module(path.name, True, path.parent, read)
        if loaded.plan is None:
            done.add(path)
            continue
        chain.append((path, name))
        pending.append(iter([((path.parent / u.module).resolve(), u.module) for u in loaded.plan.uses if u.is_path]))
    return None
