"""`planact bench`: run agents on MiniWoB++, WebArena-format tasks or the demo shop's tasks, and report."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from ..run.modes import BENCH_DEFAULT, REVISING

AGENT_HELP = (
    "Agents, comma-separated: react (executor only, no plan), static (plan once), dynamic (replan after "
    "every step), replay (saved grounded plans, no model)."
)


def _common(f: Any) -> Any:
    options = [
        click.option("--agent", "agents", default="replay", show_default=True, help=AGENT_HELP),
        click.option(
            "--model",
            metavar="SPEC",
            help="Model for planner and executor: local[:FILE.gguf], openai:NAME[@BASE_URL], vllm:NAME "
            "(default: PLANACT_MODEL or planact.toml; `local` is SmolLM2 on this machine).",
        ),
        click.option("--planner-model", metavar="SPEC", help="Planner model (overrides --model)."),
        click.option("--executor-model", metavar="SPEC", help="Executor model (overrides --model)."),
        click.option("--tasks", "patterns", metavar="PATTERN", help="Task ids or families, glob, comma-separated."),
        click.option("--seeds", default=1, show_default=True, type=click.IntRange(1), help="Seeds per task."),
        click.option("--first-seed", default=0, show_default=True, type=click.IntRange(0)),
        click.option(
            "--parallel",
            default=1,
            show_default=True,
            type=click.IntRange(1, 64),
            help="Episodes at once, each in a browser context of its own (about 40 MB per extra page).",
        ),
        click.option("--timeout", "timeout_s", default=180.0, show_default=True, help="Seconds per episode."),
        click.option(
            "-o",
            "--out",
            default=None,
            help="Folder for results.jsonl and run records [default: bench-runs/BENCHMARK]; "
            "running again resumes (episodes with a result are not run again).",
        ),
        click.option("--retry-errors", is_flag=True, help="Run again the episodes whose result is an error."),
        click.option("--judge-model", metavar="SPEC", help="Model that judges fuzzy_match answers (WebArena format)."),
        click.option(
            "--record-pages",
            is_flag=True,
            help="Record the page before and after every action in each run record (trajectories for planact synth).",
        ),
        click.option(
            "--replan",
            type=click.Choice(REVISING),
            default=BENCH_DEFAULT,
            show_default=True,
            help="When the dynamic agent revises its plan: after every step (the paper's), or after a failed "
            "step and a step that read something (an extract), what the run learnt that the plan could not know.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON."),
    ]
    for option in reversed(options):
        f = option(f)
    return backend_options(f)


def backend_options(f: Any) -> Any:
    """``--backend local|ray`` and the Ray worker's settings (shared by `planact bench`, `planact record`, `planact synth
    ground` and `planact synth generate`)."""
    options = [
        click.option(
            "--backend",
            type=click.Choice(["local", "ray"]),
            default="local",
            show_default=True,
            help="Where episodes run: local (one Chromium in this process) or ray (workers of a Ray cluster, "
            "each with a Chromium of its own; `pip install 'planact[ray]'`). --parallel is then the number of workers.",
        ),
        click.option(
            "--ray-address",
            metavar="ADDR",
            help="The cluster to join (HOST:PORT that `ray start --head` printed, ray://HOST:PORT, or auto) "
            "[default: a private Ray instance on this machine, 127.0.0.1 only, stopped at the end].",
        ),
        click.option(
            "--ray-cpus-per-episode",
            type=click.FloatRange(0, min_open=True),
            help="CPUs each Ray worker asks for (it plays one episode at a time) [default: 1].",
        ),
        click.option(
            "--ray-memory-per-episode",
            metavar="MB",
            type=click.IntRange(64),
            help="Memory (MB) each Ray worker asks for: Python, Playwright and one Chromium (README: Ray) "
            "[default: 1024].",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def backend_from_flags(
    backend: str, ray_address: str | None, ray_cpus_per_episode: float | None, ray_memory_per_episode: int | None,
    models: Any = None, command: str = "planact bench",
) -> Any:  # fmt: skip
    """The Ray backend the flags ask for (checked: Ray installed, the address well-formed and answering), or None
    for local.  Bad flags print one line and exit with status 2."""
    from ..harness.ray_backend import BackendError, ModelRecipes, RayBackend, RayOptions

    ray_flags = {
        "--ray-address": ray_address, "--ray-cpus-per-episode": ray_cpus_per_episode,
        "--ray-memory-per-episode": ray_memory_per_episode,
    }  # fmt: skip
    if backend == "local":
        given = [name for name, value in ray_flags.items() if value is not None]
        if given:
            fail(command, f"{', '.join(given)} goes with --backend ray (the backend is local)")
        return None
    options = RayOptions(address=ray_address, models=models or ModelRecipes())
    if ray_cpus_per_episode is not None:
        options.cpus_per_episode = ray_cpus_per_episode
    if ray_memory_per_episode is not None:
        options.memory_mb_per_episode = ray_memory_per_episode
    chosen = RayBackend(options, say=lambda line: click.echo(line, err=True))
    try:
        chosen.check()
    except BackendError as err:
        fail(command, str(err))
    return chosen


def fail(command: str, message: str) -> None:
    """One line on stderr and exit status 2: the command cannot run as asked."""
    click.echo(f"{command}: error: {message}", err=True)
    sys.exit(2)


@click.group()
def bench() -> None:
    """Run agents on benchmark tasks: the Plan-and-Act ablation in one command.

    \b
      planact bench miniwob --agent replay --seeds 20
      planact bench demo --agent react,static,dynamic --model local
      planact bench webarena --task-file tasks.json --sites sites.toml --model openai:NAME@URL
      planact bench report bench-runs/demo/results.jsonl -o report.html

    Each episode runs in a fresh browser context and writes a run record; the
    results file (JSONL, one line per episode) makes a run resumable.
    """


@bench.command("miniwob")
@_common
@click.option("--plans", type=click.Path(file_okay=False), help="Grounded plans for replay [default: plans/miniwob].")
def bench_miniwob(plans: str | None, **options: Any) -> None:
    """MiniWoB++ task pages (the `miniwob` package), served on 127.0.0.1.

    Without --tasks: the tasks that have a grounded plan in plans/miniwob.
    A saved plan takes the episode's instruction as its input `task`.
    """
    from ..harness.suites import MiniWoB

    _run(MiniWoB(Path(plans) if plans else None), **options)


@bench.command("demo")
@_common
@click.option(
    "--plans", type=click.Path(file_okay=False), help="Grounded plans for replay [default: plans/bench-demo]."
)
@click.option("--task-file", type=click.Path(exists=True, dir_okay=False),
              help="Demo-shop tasks in WebArena format with __DEMO__ placeholders (e.g. `planact synth demo-tasks`) "
              "[default: the built-in demo tasks].")  # fmt: skip
def bench_demo(plans: str | None, task_file: str | None, **options: Any) -> None:
    """planact's own WebArena-format tasks for the bundled demo shop (served on 127.0.0.1)."""
    from ..harness.suites import Demo

    _run(Demo(Path(plans) if plans else None, Path(task_file) if task_file else None), **options)


@bench.command("webarena")
@_common
@click.option(
    "--task-file",
    default="webarena-lite",
    show_default=True,
    help="A WebArena-format JSON file, or webarena-lite (165 tasks) / webarena (812 tasks) from their packages.",
)
@click.option(
    "--sites",
    "sites_file",
    type=click.Path(dir_okay=False),
    help='TOML settings mapping site placeholders to your hosts ([sites] shopping = "http://HOST:7770").',
)
@click.option("--plans", type=click.Path(file_okay=False), help="Grounded plans for replay, named TASK_ID.pa.")
@click.option("--check", "check_only", is_flag=True, help="Only load and validate the task file, then exit.")
def bench_webarena(task_file: str, sites_file: str | None, plans: str | None, check_only: bool, **options: Any) -> None:
    """WebArena-format tasks against your own hosts of the WebArena sites.

    The sites are not bundled: point the placeholders (__SHOPPING__, __REDDIT__,
    __GITLAB__, __MAP__, __WIKIPEDIA__, __SHOPPING_ADMIN__) at them with --sites.
    """
    from ..harness.suites import WebArena
    from ..harness.webarena import TaskFileError, load_placeholders

    try:
        placeholders = load_placeholders(sites_file) if sites_file else {}
        suite = WebArena(task_file, placeholders, Path(plans) if plans else None)
        if check_only:
            suite.open(options["patterns"])
            kinds: dict[str, int] = {}
            for task in suite.tasks:
                for kind in task.spec.eval.eval_types:
                    kinds[kind] = kinds.get(kind, 0) + 1
            click.echo(f"{task_file}: {len(suite.tasks)} tasks valid; evaluators: {json.dumps(kinds)}")
            return
    except TaskFileError as err:
        raise click.ClickException(str(err)) from None
    _run(suite, **options)


def _run(suite: Any, agents: str, model: str | None, planner_model: str | None, executor_model: str | None,
         patterns: str | None, seeds: int, first_seed: int, parallel: int, timeout_s: float, out: str | None,
         retry_errors: bool, judge_model: str | None, as_json: bool, record_pages: bool, backend: str,
         ray_address: str | None, ray_cpus_per_episode: float | None,
         ray_memory_per_episode: int | None, replan: str = BENCH_DEFAULT) -> None:  # fmt: skip
    from ..harness.agents import AGENTS, Models
    from ..harness.ray_backend import BackendError, ModelRecipes, model_recipe
    from ..harness.report import summarize
    from ..harness.runner import BenchOptions, Runner, bounded_parallel, read_results
    from ..harness.webarena import TaskFileError
    from ..models.base import ModelError
    from ..models.config import describe_model, load_model

    chosen = tuple(a.strip() for a in agents.split(",") if a.strip())
    unknown = [a for a in chosen if a not in AGENTS]
    if unknown or not chosen:
        raise click.UsageError(f"--agent takes {', '.join(AGENTS)} (comma-separated), not {agents!r}")
    needs_models = any(a != "replay" for a in chosen)
    planner = executor = judge = None
    try:
        if backend == "ray":  # the workers build the models, each once: here they are only resolved
            recipes = ModelRecipes(
                model_recipe(planner_model or model, "planner", "local") if needs_models else None,
                model_recipe(executor_model or model, "executor", "local") if needs_models else None,
                model_recipe(judge_model, "judge") if judge_model else None,
            )
        else:
            recipes = None
            planner = load_model(planner_model or model, role="planner", default="local") if needs_models else None
            executor = load_model(executor_model or model, role="executor", default="local") if needs_models else None
            judge = load_model(judge_model, role="judge") if judge_model else None
    except ModelError as err:
        raise click.UsageError(str(err)) from None
    runs_on = backend_from_flags(backend, ray_address, ray_cpus_per_episode, ray_memory_per_episode, recipes)
    if planner is not None and executor is not None and (planner_model or model) == (executor_model or model):
        executor = planner  # one model loaded once serves both roles
    if runs_on is None:
        parallel, note = bounded_parallel(parallel)
        if note:
            click.echo(note, err=True)
    out_dir = Path(out or f"bench-runs/{suite.name}")
    try:
        suite.open(patterns)
    except (TaskFileError, FileNotFoundError, ImportError) as err:
        raise click.ClickException(str(err)) from None
    try:
        if not suite.tasks:
            raise click.UsageError(f"no {suite.name} task matches {patterns!r}")
        model_name = describe_model(executor) if executor is not None else (recipes and recipes.describe())
        options = BenchOptions(
            agents=chosen, seeds=seeds, first_seed=first_seed, parallel=parallel, timeout_s=timeout_s,
            retry_errors=retry_errors, judge=judge, model_name=model_name, pages=record_pages, replan=replan,
        )  # fmt: skip
        runner = Runner(suite, Models(planner, executor), options, out_dir, backend=runs_on)
        todo = runner.pending()
        total = len(chosen) * len(suite.tasks) * seeds
        if not as_json:
            where = "" if runs_on is None else " on Ray workers"
            click.echo(
                f"{suite.name}: {len(suite.tasks)} tasks × {seeds} seeds × {len(chosen)} agents = {total} episodes"
                f" ({total - len(todo)} already done), {parallel} at a time{where}"
                + (f"; model {model_name}" if model_name else ""),
                err=True,
            )
        runner.on_event = _progress(len(todo), as_json)
        try:
            asyncio.run(runner.run())
        except BackendError as err:
            fail("planact bench", f"{err} (the results written so far are kept: {out_dir / 'results.jsonl'})")
        except KeyboardInterrupt:
            click.echo(f"interrupted: the same command again resumes ({out_dir / 'results.jsonl'})", err=True)
            sys.exit(130)
    finally:
        suite.close()
    rows = [r for r in read_results(out_dir / "results.jsonl") if r.get("benchmark") == suite.name]
    overall, per_task = summarize(rows)
    if as_json:
        click.echo(json.dumps({
            "results": str(out_dir / "results.jsonl"), "overall": [g.as_dict() for g in overall],
            "tasks": [g.as_dict() for g in per_task],
        }, indent=2))  # fmt: skip
    else:
        _table(overall, per_task)
        click.echo(f"results: {out_dir / 'results.jsonl'}  (planact bench report {out_dir / 'results.jsonl'})")
    errors = sum(g.errors for g in overall)
    sys.exit(1 if errors else 0)


def _progress(total: int, quiet: bool) -> Any:
    """One line per finished episode on stderr: n/total, agent, task, seed, outcome, time."""
    done = {"n": 0, "ok": 0}

    def show(kind: str, row: dict[str, Any]) -> None:
        if kind != "episode_finished" or quiet:
            return
        done["n"] += 1
        done["ok"] += bool(row["success"])
        outcome = (
            "error: " + str(row["error"]).splitlines()[0][:80]
            if row["status"] == "error"
            else ("success" if row["success"] else "fail")
        )
        click.echo(
            f"[{done['n']}/{total}] {row['agent']:<8} {row['task']} seed {row['seed']}: {outcome}"
            f" ({row['seconds']:.1f} s; {done['ok']} successes so far)",
            err=True,
        )

    return show


def _table(overall: list[Any], per_task: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..harness.report import HEADERS, cells

    table = Table(*HEADERS, title="planact bench")
    for g in per_task if len(per_task) <= 40 else []:
        table.add_row(*cells(g))
    if per_task and len(per_task) <= 40:
        table.add_section()
    for g in overall:
        table.add_row(*cells(g), style="bold")
    console = Console()
    if not console.is_terminal:
        console = Console(width=170)  # a pipe or a file: wide enough for the whole table
    console.print(table)


@bench.command("report")
@click.argument("results", type=click.Path(exists=True, dir_okay=False), nargs=-1, required=True)
@click.option("-o", "--out", default=None, help="Write the HTML page here [default: next to the first results file].")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the markdown table only.")
@click.option("--no-tasks", is_flag=True, help="Overall rows only.")
@click.option(
    "--episodes/--no-episodes",
    default=True,
    show_default=True,
    help="Write each episode's run report (report.html in its record, as `planact report`) and link it, with a "
    "thumbnail of its last page, from the page.",
)
def bench_report(results: tuple[str, ...], out: str | None, as_markdown: bool, no_tasks: bool, episodes: bool) -> None:
    """Render results files as a markdown table and a self-contained HTML page (a bar chart per agent, and per
    task its episodes, each linked to its run report)."""
    from ..harness.report import html, markdown
    from ..harness.runner import read_results

    found = [(Path(path), r) for path in results for r in read_results(Path(path))]
    rows = [r for _, r in found]
    if not rows:
        raise click.ClickException("no results in " + ", ".join(results))
    click.echo(markdown(rows, per_task=not no_tasks), nl=False)
    if as_markdown:
        return
    target = Path(out) if out else Path(results[0]).with_name("report.html")
    links = _episode_links(found, target) if episodes else {}
    target.write_text(html(rows, links=links), encoding="utf-8")
    click.echo(f"wrote {target}", err=True)


def _record_of(row: dict[str, Any], results: Path) -> Path | None:
    """An episode's record folder: as the row names it, or, moved with its results file, found beside it."""
    if not row.get("record"):
        return None
    named = Path(str(row["record"]))
    if named.is_dir():
        return named
    parts = named.parts
    if "runs" in parts:  # OUT/runs/AGENT/TASK-sSEED/STAMP, OUT being where the results file now is
        moved = results.parent.joinpath(*parts[len(parts) - 1 - parts[::-1].index("runs") :])
        if moved.is_dir():
            return moved
    return None


def _episode_links(found: list[tuple[Path, dict[str, Any]]], page: Path) -> dict[Any, Any]:
    """Each episode's run report (written when missing or older than its event log) and thumbnail."""
    import os

    from ..harness.report import EpisodeLink, episode_key_of
    from ..report import NotARun, thumbnail_uri, write_report
    from ..report.collect import collect_run

    links: dict[Any, Any] = {}
    written = 0
    for results, row in found:
        folder = _record_of(row, results)
        if folder is None:
            continue
        report, events = folder / "report.html", folder / "events.jsonl"
        try:
            if not report.exists() or (events.exists() and events.stat().st_mtime > report.stat().st_mtime):
                view = write_report(folder).run
                written += 1
            else:
                view = collect_run(folder)
            thumb = thumbnail_uri(view)
        except (NotARun, OSError) as err:
            click.echo(f"no report for {folder}: {err}", err=True)
            continue
        href = Path(os.path.relpath(report, page.parent)).as_posix()
        links[episode_key_of(row)] = EpisodeLink(href=href, thumbnail=thumb)
    if written:
        click.echo(f"wrote {written} episode reports (report.html in each record)", err=True)
    return links
