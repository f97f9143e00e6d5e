"""The language's commands: lint, fmt, lsp, grammar, schema, graph, diff."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..syntax.diagnostics import Diagnostic, summary_line
from ..syntax.format import format_plan
from .common import SourceFile, colour_wanted, lint_sources, load_or_exit, print_diagnostics, read_plan_file


@click.command()
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
    from ..check import all_rules, check_plan

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
    for item in lint_sources(files):
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
        from .. import __version__
        from ..check.sarif import sarif_log

        log = sarif_log(everything, version=__version__, files=[s.path for s in sources])
        click.echo(json.dumps(log, indent=2, ensure_ascii=False))
    else:
        use_color = colour_wanted(color)
        for source in sources:
            print_diagnostics(source, use_color)
        click.echo(summary_line(everything, len(sources)))
    sys.exit(1 if any(d.severity == "error" for d in everything) else 0)


@click.command("lsp")
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
        from ..lsp.server import serve
    except ImportError as err:
        raise click.ClickException(
            f"the language server needs pygls and lsprotocol ({err.name or err} is missing): pip install 'planact[lsp]'"
        ) from None
    serve()


@click.command()
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
    use_color = colour_wanted(color, sys.stderr)
    for path in files:
        source = read_plan_file(path)
        if source.plan is None:
            print_diagnostics(source, use_color, err=True)
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


@click.command("grammar")
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
    from ..syntax import decoding
    from ..syntax.parser import grammar_text

    if form == "lark":
        click.echo(grammar_text(), nl=False)
        return
    forms = {
        "plan": decoding.plan_grammar, "revision": decoding.revision_grammar, "reply": decoding.reply_grammar,
        "steps": decoding.steps_grammar,
    }  # fmt: skip
    g = forms[start]()
    click.echo({"gbnf": g.gbnf, "llguidance": g.lark, "xgrammar": g.ebnf}[form], nl=False)


SCHEMAS = {
    "plan": "planact.syntax.ast:Plan",
    "diagnostic": "planact.syntax.diagnostics:Diagnostic",
    "event": "planact.run.events:RUN_EVENT",
    "trajectory": "planact.synth.trajectory:Trajectory",
}


@click.command()
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


@click.command()
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
    from ..graph import build_graph

    g = build_graph(load_or_exit(file, 2, None))  # type: ignore[arg-type]
    if fmt == "json":
        click.echo(json.dumps(g.to_json(), indent=2))
    else:
        click.echo(g.to_dot() if fmt == "dot" else g.to_mermaid(), nl=False)


@click.command()
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
    from ..graph import diff_plans
    from ..graph.render_diff import render_json, render_text

    plans = load_or_exit(old, 2, color), load_or_exit(new, 2, color)
    try:
        result = diff_plans(*plans)  # type: ignore[arg-type]
        if fmt == "json":
            shown = json.dumps(render_json(result), indent=2) + "\n"
        else:
            shown = render_text(result, color=colour_wanted(color))
    except Exception as err:  # exit status 1 means "the plans differ": a failure must not look like one
        click.echo(f"planact diff: error: {type(err).__name__}: {err}", err=True)
        sys.exit(2)
    click.echo(shown, nl=False)
    sys.exit(0 if result.is_empty else 1)


# --- run reports (engine/report) ---------------------------------------------
