"""What the commands share: reading plan files, printing diagnostics, the browser and recording options."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..browser import SCREENSHOT_SCALE, VIEWPORT
from ..syntax.diagnostics import Diagnostic, PlanError, render
from ..syntax.parser import decode_source, parse


class SourceFile:
    """A plan file as read from disk: its path, its text (if decodable) and the parsed plan or the diagnostics."""

    def __init__(self, path: str, text: str | None, plan=None, diagnostics: list[Diagnostic] | None = None) -> None:
        self.path = path
        self.text = text
        self.plan = plan
        self.diagnostics = diagnostics or []


def read_plan_file(path: str) -> SourceFile:
    """Read and parse one plan file; never raises for bad content (diagnostics instead)."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as err:
        return SourceFile(
            path,
            None,
            diagnostics=[Diagnostic(code="PA000", message=f"cannot read file: {err.strerror or err}", path=path)],
        )
    try:
        text = decode_source(data)
    except PlanError as err:
        return SourceFile(path, None, diagnostics=[d.located(path) for d in err.diagnostics])
    try:
        plan = parse(text)
    except PlanError as err:
        return SourceFile(path, text, diagnostics=[d.located(path) for d in err.diagnostics])
    return SourceFile(path, text, plan=plan)


def colour_wanted(option: bool | None, stream=None) -> bool:
    if option is not None:
        return option
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def print_diagnostics(source: SourceFile, color: bool, err: bool = False) -> None:
    for d in source.diagnostics:
        click.echo(render(d, source.text, color=color) + "\n", err=err)


def lint_sources(paths: tuple[str, ...]) -> list[str | SourceFile]:
    """The files to lint: each path, a folder as every ``*.pa`` under it (recursively, sorted).

    A folder without a plan file is a PA000 finding of its own.
    """
    out: list[str | SourceFile] = []
    for path in paths:
        folder = Path(path)
        if path == "-" or not folder.is_dir():
            out.append(path)
            continue
        found = sorted((p for p in folder.rglob("*.pa") if p.is_file()), key=lambda p: p.as_posix())
        if not found:
            message = "no plan file (*.pa) in this folder"
            out.append(SourceFile(path, None, diagnostics=[Diagnostic(code="PA000", message=message, path=path)]))
        out.extend(str(p) for p in found)
    return out


BROWSER_OPTIONS = [
    click.option(
        "--browser",
        metavar="PATH",
        help="Chromium executable (default: $PLANACT_BROWSER, Playwright's Chromium, then a system Chromium).",
    ),
    click.option("--headed", is_flag=True, help="Show the browser window (needs a display)."),
    click.option(
        "--timeout",
        type=float,
        default=5.0,
        show_default=True,
        help="Seconds to wait for an element before a step fails.",
    ),
]


def browser_options(f):
    for option in reversed(BROWSER_OPTIONS):
        f = option(f)
    return f


def session_options(browser: str | None, headed: bool, timeout: float, **record: Any) -> Any:
    """The browser session that :func:`browser_options` ask for; ``record``: the run record's trace and screenshots."""
    from ..browser.session import SessionOptions

    return SessionOptions(browser=browser, headless=not headed, timeout_ms=timeout * 1000, **record)


TRACE_DEFAULT = "full"

trace_option = click.option(
    "--trace",
    type=click.Choice(["full", "actions", "off"]),
    default=TRACE_DEFAULT,
    show_default=True,
    help="The run's Playwright trace (trace.zip, open with `playwright show-trace`): `full` with a DOM snapshot "
    "before and after every browser call and the network, `actions` the calls and their timings only (cheaper), "
    "`off` none. The screenshots after each step are taken either way.",
)
screenshots_option = click.option(
    "--screenshots/--no-screenshots",
    default=True,
    show_default=True,
    help="A JPEG of the page after each step in the run record (capturing one at half size costs the browser about "
    "16 ms of CPU; steps that only read the page reuse the one before).",
)
screenshot_scale_option = click.option(
    "--screenshot-scale",
    type=click.FloatRange(0.1, 1.0),
    default=SCREENSHOT_SCALE,
    show_default=True,
    help=f"The screenshots' size as a fraction of the {VIEWPORT['width']}×{VIEWPORT['height']} viewport: 1 for full "
    "size (26 ms of the browser's CPU a capture instead of 16 ms at half size, spent while the next step runs).",
)


def load_or_exit(path: str, status: int, color: bool | None) -> object:
    source = read_plan_file(path)
    if source.plan is None:
        print_diagnostics(source, colour_wanted(color, sys.stderr), err=True)
        sys.exit(status)
    return source.plan


def echo_report(written) -> None:
    click.echo(f"report: {written.html}", err=True)
    if written.summary is not None:
        click.echo(f"animated summary: {written.summary}", err=True)
    elif written.no_summary:
        click.echo(f"no animated summary: {written.no_summary}", err=True)
    for gap in written.run.gaps:
        click.echo(f"  gap: {gap.message}", err=True)


def report_after_run(run: Path) -> None:
    """Write a finished run's report (``exec --report``, ``demo``); a report that cannot be written never
    changes the run's exit status."""
    from ..report import write_report

    try:
        echo_report(write_report(run, summary=True))
    except Exception as err:  # the run is done and recorded: say why there is no report, and go on
        click.echo(f"report not written: {type(err).__name__}: {err} (try `planact report {run}`)", err=True)
