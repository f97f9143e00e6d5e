"""Running plans: exec, plan, mcp, demo, report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..run.modes import REPLAN_MODES
from ..syntax.parser import parse
from .common import (
    browser_options,
    colour_wanted,
    echo_report,
    print_diagnostics,
    read_plan_file,
    report_after_run,
    screenshot_scale_option,
    screenshots_option,
    session_options,
    trace_option,
)


@click.command("exec")
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
    type=click.Choice(REPLAN_MODES),
    default=None,
    help="When the planner revises the plan: after a failed step (on-failure), after every step, or after "
    "a failed step and a step that read something (after-reads) [default: on-failure with a model, never "
    "without].",
)
@click.option(
    "--turns",
    default=8,
    show_default=True,
    type=click.IntRange(1, 50),
    help="Executor model turns per step that change nothing on the page (a rejected answer, a failed action, "
    "an action after which the page's elements are the same); a step takes at most three times as many in all.",
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
@trace_option
@screenshots_option
@screenshot_scale_option
@browser_options
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
    from ..check import check_plan
    from .running import agent_from_options, parse_pairs, run_plan

    source = read_plan_file(plan_file)
    if source.plan is not None:
        source.diagnostics = [
            d.located(plan_file)
            for d in check_plan(source.plan, source=source.text, path=plan_file)
            if d.severity == "error"
        ]
    if source.diagnostics:
        print_diagnostics(source, colour_wanted(None, sys.stderr), err=True)
        sys.exit(2)
    options = session_options(
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
            after=report_after_run if with_report else None,
        )
    )


@click.command("plan")
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
@browser_options
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
    from .planning import make_plan

    options = session_options(browser, headed, timeout)
    sys.exit(make_plan(goal, site_url, site_name, model, attempts, out, as_json, options))


@click.command("mcp")
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
    from ..mcpserver.server import ServerConfig, build_server
    from .running import parse_pairs, secrets_given

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


@click.group(invoke_without_command=True)
@click.option(
    "--plan", "plan_name", default="01-cheapest-mouse", show_default=True, help="Which plan of plans/demo to run."
)
@click.option("--runs", default="runs", show_default=True, help="Folder for run records.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of progress lines.")
@trace_option
@screenshots_option
@screenshot_scale_option
@browser_options
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
    from ..demo.server import serve_demo
    from .running import run_plan

    path = _demo_plan(plan_name)
    text = path.read_text(encoding="utf-8")
    with serve_demo() as server:
        plan = parse(text.replace("http://127.0.0.1:8765", server.url))
        options = session_options(
            browser, headed, timeout, trace=trace, screenshots=screenshots, screenshot_scale=screenshot_scale
        )
        status = run_plan(
            str(path), plan, inputs={}, secrets=DEMO_SECRETS, options=options, runs=runs, resume=None, as_json=as_json,
            after=report_after_run,
        )  # fmt: skip
    sys.exit(status)


DEMO_SECRETS = {
    "password": "wonderland",
    "bob_password": "builder",
    "admin_password": "admin123",
}  # the demo shop's users


def _demo_plan(name: str) -> Path:
    root = Path(__file__).resolve().parents[1] / "plans" / "demo"
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
    from ..demo.server import serve_forever

    try:
        serve_forever(port, idle_timeout)
    except OSError as err:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {err.strerror}") from None


@click.command("report")
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
    from ..report import NotARun, write_report

    try:
        written = write_report(run, out, summary=summary)
    except NotARun as err:
        click.echo(f"planact report: error: {err}", err=True)
        sys.exit(2)
    except OSError as err:
        click.echo(f"planact report: error: cannot write the report: {err}", err=True)
        sys.exit(2)
    echo_report(written)
