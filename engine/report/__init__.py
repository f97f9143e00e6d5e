"""``planact report``: a run folder as one self-contained HTML page, and an animated summary of its steps.

:func:`collect_run` reads the record (``collect.py``), :func:`render_html` renders it (``html.py``, with the
step graph drawn by ``svg.py``), :func:`write_summary` animates its screenshots (``gif.py``);
:func:`write_report` does all of it for the CLI, ``planact exec --report``, ``planact demo`` and
``planact bench report``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .collect import NotARun, RunView, collect_run, is_run_folder
from .gif import NoScreenshots, thumbnail_uri, write_summary
from .html import render_html

REPORT_NAME = "report.html"
SUMMARY_NAME = "summary.gif"

__all__ = [
    "NoScreenshots", "NotARun", "Report", "RunView", "collect_run", "is_run_folder", "render_html",
    "thumbnail_uri", "write_report", "write_summary",
]  # fmt: skip


@dataclass
class Report:
    """What :func:`write_report` wrote: the page, the animated summary (or why there is none), the gaps."""

    html: Path
    summary: Path | None
    no_summary: str | None
    run: RunView


def write_report(run: str | Path, out: str | Path | None = None, *, summary: bool | str | Path = False) -> Report:
    """Write the report of the run folder ``run`` to ``out`` (default: ``report.html`` in the folder).

    ``summary``: also write the animated summary (True: ``summary.gif`` beside the report; a path: there,
    ``.gif`` or ``.webp``); a run without screenshots gets none, and ``Report.no_summary`` says why.
    Raises :class:`NotARun` when ``run`` is not a run folder.
    """
    view = collect_run(run)
    target = Path(out) if out is not None else view.path / REPORT_NAME
    gif: Path | None = None
    why: str | None = None
    if summary:
        wanted = Path(summary) if not isinstance(summary, bool) else target.with_name(SUMMARY_NAME)
        try:
            gif = write_summary(view, wanted)
        except NoScreenshots as err:
            why = str(err)
    link = Path(os.path.relpath(gif, target.parent)).as_posix() if gif is not None else None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(view, link), encoding="utf-8")
    return Report(target, gif, why, view)
