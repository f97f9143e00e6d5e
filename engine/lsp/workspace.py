"""The plan files of the workspace that the editor has not opened, for find-references.

A procedure can be called from any plan that imports the file defining it, open in the
editor or not.  :func:`plan_files` lists the ``.pa`` files under the workspace folders the
client named at ``initialize`` (and the stdlib's, for a stdlib procedure);
:func:`procedure_uses` reads each, and where the procedure's name appears, parses it and
indexes it as an open document would be, so that a call counts only when it resolves to
the same definition (through the file's own ``use`` lines).

The work is bounded: hidden folders (``.git``, ``.venv``) and those of tools
(``node_modules``, ``site-packages``, ``__pycache__``) are skipped, symbolic links to folders are not followed, a file
over :data:`MAX_FILE_BYTES` or one that does not read or parse is passed over, and the walk
stops after :data:`MAX_FILES` plan files or :data:`MAX_SECONDS`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..lang.modules import Reader, read_from_disk
from ..syntax.diagnostics import PlanError
from ..syntax.parser import parse
from .documents import TextBuffer
from .index import Key, Occurrence, PlanIndex

log = logging.getLogger("planact.lsp")

MAX_FILES = 5_000  # plan files looked at per request
MAX_FILE_BYTES = 1_000_000  # a bigger file is not a plan anyone calls procedures from by hand
MAX_SECONDS = 5.0  # per request, walk and parsing together
SKIPPED_FOLDERS = {"node_modules", "__pycache__", "site-packages"}  # and every hidden folder (.git, .venv)


def stdlib_folder() -> Path:
    """The folder of the installed stdlib modules (``web.pa``, ...)."""
    return Path(str(resources.files("planact").joinpath("stdlib"))).resolve()


@dataclass(frozen=True)
class FileUses:
    """The occurrences of one name in a file that is not open (its lines locate them)."""

    path: str
    lines: list[str]
    occurrences: list[Occurrence]


def plan_files(roots: Iterable[Path], *, max_files: int = MAX_FILES, deadline: float | None = None) -> Iterator[Path]:
    """The ``.pa`` files under ``roots`` (resolved, each once), in a stable order, within the bounds."""
    seen: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for folder, dirs, files in os.walk(root, onerror=lambda err: None):
            if deadline is not None and time.monotonic() > deadline:
                return
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS)
            for name in sorted(files):
                if not name.endswith(".pa"):
                    continue
                if len(seen) >= max_files:
                    return
                try:
                    path = (Path(folder) / name).resolve()
                except (OSError, RuntimeError):
                    continue
                if path not in seen:
                    seen.add(path)
                    yield path


def procedure_uses(
    key: Key,
    files: Iterable[Path],
    *,
    read: Reader = read_from_disk,
    skip: Collection[str] = (),
    max_bytes: int = MAX_FILE_BYTES,
    deadline: float | None = None,
) -> list[FileUses]:
    """Where the procedure ``key`` is called (or defined) in ``files``, but for those in ``skip``.

    ``read`` gives the text of what these files import (so an open, unsaved library counts).
    """
    name = key[1]
    found: list[FileUses] = []
    for path in files:
        if deadline is not None and time.monotonic() > deadline:
            break
        if str(path) in skip:
            continue
        try:
            if path.stat().st_size > max_bytes:
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if name not in text:  # no call of it can be there: do not parse
            continue
        try:
            plan = parse(text)
            lines = TextBuffer(str(path), text).lines
            occurrences = PlanIndex.build(plan, lines, str(path), str(path), read).references(key)
        except (PlanError, RecursionError):
            continue
        except Exception:  # a bug of ours on an odd file: pass it over, keep answering
            log.exception("indexing %s failed", path)
            continue
        if occurrences:
            found.append(FileUses(str(path), lines, occurrences))
    return found
