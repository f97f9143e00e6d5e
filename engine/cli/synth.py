"""`planact record` and `planact synth`: trajectories in, checked training data out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..models.prompts import FORMS
from .bench import backend_options

MODEL_HELP = "Teacher model: local[:FILE.gguf], openai:NAME[@BASE_URL], vllm:NAME (default: PLANACT_MODEL, planact.toml, else local)."


def _secrets(values: tuple[str, ...]) -> dict[str, str]:
    from .running import parse_pairs, secrets_given

    return secrets_given(parse_pairs(values, "--secret"))


def _teacher_model(spec: str | None) -> Any:
    from ..models.base import ModelError
    from ..models.config import load_model

    try:
        return load_model(spec, role="planner", default="local")
    except ModelError as err:
        raise click.ClickException(str(err)) from None


PARALLEL_HELP = "Ray workers at once (--backend ray); the local backend runs one at a time."


def _say(line: str) -> None:
    click.echo(line, err=True)


# ---------------------------------------------------------------- planact record


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "-o", "--out", required=True, type=click.Path(dir_okay=False), help="The trajectory file to write (JSONL)."
)
@click.option("--runs", default="runs", show_default=True, help="Where the runs of plans are recorded.")
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE", help="An input of the plans run (repeatable).")
@click.option(
    "--secret", "secrets", multiple=True, metavar="NAME=VALUE", help="A secret input (or PLANACT_SECRET_NAME)."
)
@click.option("--site", "sites", multiple=True, metavar="NAME=URL", help="Point a declared site at another URL.")
@click.option("--timeout", "timeout_s", default=600.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Seconds a plan may run; then it is cancelled and skipped.")  # fmt: skip
@click.option("--parallel", default=1, show_default=True, type=click.IntRange(1, 64), help=PARALLEL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@backend_options
def record(
    sources: tuple[str, ...], out: str, runs: str, inputs: tuple[str, ...], secrets: tuple[str, ...],
    sites: tuple[str, ...], timeout_s: float, parallel: int, as_json: bool, **backend: Any,
) -> None:  # fmt: skip
    """Turn runs into trajectories for `planact synth ground`.

    Each SOURCE is a run folder (runs/...) or a plan (.pa). A run folder is
    converted as it is; a plan is run first, in headless Chromium with no model,
    recording the page before the first action and after each one (the pages
    that replanning and executor training examples show). Actions come out with
    their values written in, secrets by name. The file is written whole at the end.
    A source that cannot be turned into a trajectory (a plan that does not lint or
    lacks an input, a folder that is no run, a plan whose run crashed or timed out)
    is named and skipped, and the exit status is then 1; the others are still written.

    Each plan recorded is a line of OUT's ledger (demo.traj.jsonl: demo.traj.recorded.jsonl):
    the same command again runs only the plans it has no recording of (delete the
    ledger to record afresh). With --backend ray the plans run on the workers of a Ray
    cluster, --parallel at once, each worker one plan at a time with a Chromium of its
    own; their sites must answer there. This process alone writes OUT and the ledger.

    \b
    Examples:
      planact record plans/demo/*.pa --secret password=wonderland --secret bob_password=builder \\
          --secret admin_password=admin123 -o demo.traj.jsonl
      planact record runs/20261129-101500-a1b2c3 -o one.traj.jsonl
    """
    from ..harness.ray_backend import BackendError
    from ..scrub import Scrubber
    from ..synth.record import Recorded, record_all
    from ..synth.trajectory import write_trajectories
    from .running import parse_pairs

    runs_on = _backend(backend, parallel, "planact record", "records one plan at a time")
    given, hidden, moved = parse_pairs(inputs, "--input"), _secrets(secrets), parse_pairs(sites, "--site")

    def progress(done: Recorded) -> None:
        if done.trajectory is None:
            _say(f"  skipped {done.source}: {done.error}")
        else:
            again = " (recorded before)" if done.again else ""
            _say(f"  {done.trajectory.status:9} {done.source}: {len(done.trajectory.actions)} actions{again}")

    try:
        outcomes = record_all(
            sources, given, hidden, moved, Path(runs), Path(out), backend=runs_on, parallel=parallel,
            timeout_s=timeout_s, progress=progress,
        )  # fmt: skip
    except BackendError as err:
        raise click.ClickException(f"{err} (the plans recorded so far are in the ledger: run again to go on)") from None
    found = [o.trajectory for o in outcomes if o.trajectory is not None]
    failures = [{"source": o.source, "error": o.error} for o in outcomes if o.trajectory is None]
    if found:
        write_trajectories(found, out, scrub=Scrubber(hidden.values()))
    summary = {"trajectories": len(found), "out": out, "skipped": failures}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _say(f"{len(found)} trajectories written to {out}" if found else f"no trajectories: {out} not written")
        if failures:
            _say(f"{len(failures)} of {len(sources)} sources skipped: " + ", ".join(f["source"] for f in failures))
    sys.exit(0 if found and not failures else 1)  # a source left out is a failure, even when others were kept


def _backend(flags: dict[str, Any], parallel: int, command: str, local: str) -> Any:
    """The Ray backend the flags ask for, or None (local); ``--parallel`` above 1 needs Ray (``local``: what the
    local backend does instead).  Bad flags print one line and exit with status 2."""
    from .bench import backend_from_flags, fail

    if flags["backend"] == "local" and parallel > 1:
        fail(command, f"--parallel {parallel} goes with --backend ray (the local backend {local})")
    return backend_from_flags(**flags, command=command)


# ---------------------------------------------------------------- planact synth


@click.group()
def synth() -> None:
    """Synthetic training data in the plan language (Plan-and-Act §4).

    \b
    The pipeline:
      planact synth generate miniwob -o data/miniwob          all of it from a benchmark, no model
      planact record plans/demo/*.pa -o demo.traj.jsonl      trajectories from runs
      planact synth ground demo.traj.jsonl -o data           a teacher writes grounded plans
      planact synth replans data                             replanning examples, every action
      planact synth expand --seeds data -o data -n 100       new goal+plan pairs from the seeds
      planact synth export data -o data/export               chat JSONL for fine-tuning
      planact synth stats data                               what was kept, dropped, and why

    Every plan is parsed and linted before it is kept; every output file is written
    whole, and a killed command rerun continues without redoing or duplicating work.

    The steps that run browser episodes take --backend ray (workers of a Ray cluster):
    `planact record` (the plans' runs), `synth ground` (the replays) and `synth generate`
    (the recording episodes). replans, expand, export and stats run no browser (expand
    calls a model, the others compute) and run here.
    """


@synth.command()
@click.argument("trajectories", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="The synth folder.")
@click.option("--model", metavar="SPEC", help=MODEL_HELP)
@click.option(
    "--teacher", "teacher_kind", type=click.Choice(["model", "recorded"]), default="model", show_default=True,
    help="model: the teacher model groups the actions; recorded: no model, the steps of the plan a planact "
    "run was recorded from (checked and replayed the same way).",
)  # fmt: skip
@click.option(
    "--attempts", default=3, show_default=True, type=click.IntRange(1, 20), help="Teacher answers per trajectory."
)
@click.option(
    "--replay", "replay_mode", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
    help="Replay each plan against its site: auto where the site answers, always (unreachable drops), never.",
)  # fmt: skip
@click.option(
    "--answers", type=click.Choice(["loose", "exact", "ignore"]), default="loose", show_default=True,
    help="How a replay's answer must match the recorded one: loose = the same up to its numbers "
    "(a stateful site gives new order numbers each run), exact, or ignore.",
)  # fmt: skip
@click.option(
    "--secret", "secrets", multiple=True, metavar="NAME=VALUE", help="Secrets for replays (or PLANACT_SECRET_NAME)."
)
@click.option("--timeout", "timeout_s", default=600.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Seconds per trajectory (the teacher's answers and the replay); then the replay is "
              "cancelled and the trajectory is an error, grounded again by the next run.")  # fmt: skip
@click.option("--parallel", default=1, show_default=True, type=click.IntRange(1, 64), help=PARALLEL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@backend_options
def ground(
    trajectories: tuple[str, ...], out: str, model: str | None, teacher_kind: str, attempts: int, replay_mode: str,
    answers: str, secrets: tuple[str, ...], timeout_s: float, parallel: int, as_json: bool, **backend: Any,
) -> None:  # fmt: skip
    """Reverse-engineer a grounded plan from each trajectory with a teacher model.

    TRAJECTORIES are trajectory files (JSONL, see `planact schema trajectory`) or
    run folders. A plan is kept only if its actions are exactly the trajectory's,
    in order, each step a contiguous span, it lints clean and (where the site
    answers) its replay reproduces the trajectory's outcome; each rejected answer
    goes back to the teacher with its reason. The ledger ground.jsonl says what
    became of each trajectory; trajectories already in it are skipped.

    With --backend ray the teacher and the replays run on the workers of a Ray
    cluster, --parallel at once, each worker one trajectory at a time (the teacher's
    model loads once per worker; a model server is shared by its URL; the sites must
    answer there). This process alone writes the plans and the ledger. A trajectory
    whose worker died or whose time ran out is an error with no ledger line: the
    same command again grounds it again (the exit status is 1 until none is left).
    """
    from ..harness.ray_backend import BackendError, ModelRecipe, model_recipe
    from ..synth.ground import Grounding, RecordedSteps, Teacher, ground_all
    from ..synth.jobs import TeacherRecipe
    from ..synth.trajectory import TrajectoryError, read_trajectories

    runs_on = _backend(backend, parallel, "planact synth ground", "grounds one trajectory at a time")
    try:
        loaded = [t for path in trajectories for t in read_trajectories(path)]
    except TrajectoryError as err:
        raise click.ClickException(str(err)) from None
    teacher: Any = RecordedSteps()
    if teacher_kind == "model" and runs_on is not None:  # built on each worker, once
        recipe = model_recipe(model, "planner", default="local") or ModelRecipe("local")
        teacher = TeacherRecipe(recipe, attempts=attempts)
    elif teacher_kind == "model":
        teacher = Teacher(_teacher_model(model), attempts=attempts)

    def progress(g: Grounding) -> None:
        if not as_json:
            status = "error  " if g.error else "kept   " if g.kept else "dropped"
            _say(f"  {status} {g.id}: {g.task}" + ("" if g.kept else f"\n          {g.error or g.reason}"))

    try:
        results = ground_all(
            loaded, teacher, Path(out), secrets=_secrets(secrets), replay_mode=replay_mode, answers=answers,
            progress=progress, backend=runs_on, parallel=parallel, timeout_s=timeout_s,
        )  # fmt: skip
    except BackendError as err:
        raise click.ClickException(f"{err} (what was grounded so far is in the ledger: run again to go on)") from None
    kept = sum(r.kept for r in results)
    errors = sum(r.error is not None for r in results)
    dropped = len(results) - kept - errors
    skipped = len(loaded) - len(results)
    if as_json:
        click.echo(json.dumps({"kept": kept, "dropped": dropped, "errors": errors, "already_done": skipped,
                               "results": [r.line() for r in results]}, indent=2, default=str))  # fmt: skip
    else:
        _say(
            f"{kept} kept, {dropped} dropped"
            + (f", {errors} errors (run again to retry them)" if errors else "")
            + (f", {skipped} already done" if skipped else "")
            + f" -> {out}"
        )
    if errors:
        sys.exit(1)


@synth.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--form", type=click.Choice(["remainder", "patch"]), default="remainder", show_default=True,
              help="The answer: the whole remaining plan, or a patch of the remaining steps.")  # fmt: skip
@click.option("--grounded", is_flag=True, help="Keep the action blocks in the remaining plan (default: intents only).")
def replans(folder: str, form: str, grounded: bool) -> None:
    """Replanning examples: one per action index of every kept grounded plan.

    Each is the replanner's own prompt (the plan with finished steps done and
    their outputs, what just happened, the page before the action) and, as the
    answer, the remaining plan from that action on — grounded in the true future
    actions. Written whole to FOLDER/replans.jsonl.
    """
    from ..synth.export import build_replans

    n = build_replans(Path(folder), form=form, grounded=grounded)
    _say(f"{n} replanning examples -> {Path(folder) / 'replans.jsonl'}")


@synth.command()
@click.option("--seeds", "seeds_from", required=True, type=click.Path(exists=True, file_okay=False),
              help="A synth folder (its kept plans) or a folder of .pa plans.")  # fmt: skip
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="The synth folder to grow.")
@click.option("-n", "count", required=True, type=click.IntRange(1), help="How many new pairs the folder should hold.")
@click.option("--model", metavar="SPEC", help=MODEL_HELP)
@click.option(
    "--per-call", default=5, show_default=True, type=click.IntRange(1, 50), help="New pairs asked for per call."
)
@click.option(
    "--seeds-per-call", default=5, show_default=True, type=click.IntRange(1, 50), help="Seed pairs shown per call."
)
@click.option("--temperature", default=0.7, show_default=True, type=click.FloatRange(0, 2))
@click.option("--threshold", default=0.85, show_default=True, type=click.FloatRange(0, 1),
              help="Similarity at or above which a new pair is a near-duplicate.")  # fmt: skip
@click.option("--seed", default=0, show_default=True, help="Seeds which pairs each call shows.")
@click.option(
    "--max-calls",
    type=click.IntRange(1),
    help="Stop after this many calls in all (default: enough, with room for rejects).",
)
def expand(
    seeds_from: str, out: str, count: int, model: str | None, per_call: int, seeds_per_call: int,
    temperature: float, threshold: float, seed: int, max_calls: int | None,
) -> None:  # fmt: skip
    """Plan expansion: new goal+plan pairs from seed pairs, sites taking turns.

    A new pair is kept only if it parses, lints clean and is not a near-duplicate
    of a pair already held. Kept pairs go to expanded.jsonl as they come, each
    call to expand.calls.jsonl with what it rejected and why; a rerun resumes.
    """
    from ..synth.expand import Expander, seed_pairs
    from ..synth.expand import expand as grow

    seeds = seed_pairs(Path(seeds_from))
    if not seeds:
        raise click.ClickException(
            f"{seeds_from} holds no seed pairs (kept grounded plans, or .pa plans with one site)"
        )
    expander = Expander(_teacher_model(model), per_call, seeds_per_call, temperature, threshold, seed)

    def progress(have: int, want: int, call: dict[str, Any]) -> None:
        _say(f"  call {call['call']}: {call['kept']} kept, {len(call['rejected'])} rejected  ({have}/{want} pairs)")

    pairs = grow(seeds, expander, Path(out), count, max_calls=max_calls, progress=progress)
    _say(f"{len(pairs)}/{count} pairs in {Path(out) / 'expanded.jsonl'}")
    sys.exit(0 if len(pairs) >= count else 1)


@synth.command("export")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="The dataset folder to write.")
@click.option(
    "--grounded-planner", is_flag=True, help="Planner answers keep their action blocks (default: intents only)."
)
@click.option("--form", type=click.Choice(["remainder", "patch"]), default="remainder", show_default=True,
              help="Replanner answers, if replans were not built yet.")  # fmt: skip
@click.option("--prompts", type=click.Choice(FORMS), default="full", show_default=True,
              help="Prompt form: full (language summary and example plans, as an untrained model needs) or compact "
              "(short prompts; the planner answers with step lines and the replanner with patches).")  # fmt: skip
def export_command(folder: str, out: str, grounded_planner: bool, form: str, prompts: str) -> None:
    """Chat-format JSONL for planner, replanner and executor fine-tuning, with a dataset card.

    Writes planner.jsonl, replanner.jsonl, executor.jsonl and README.md to OUT,
    all or nothing (built aside, then moved into place). A model trained on
    --prompts compact data is served with the compact prompts (its card says so).
    """
    from ..synth.export import export

    counts = export(Path(folder), Path(out), grounded_planner=grounded_planner, form=form, prompts=prompts)
    for name, n in counts.items():
        _say(f"  {n:6}  {name}")
    _say(f"-> {out}")


@synth.command("generate")
@click.argument("benchmark", type=click.Choice(["miniwob", "demo"]))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="The folder to fill (resumable).")
@click.option("--tasks", "patterns", metavar="PATTERN", help="miniwob: task ids, glob, comma-separated [default: "
              "every task with a grounded plan]; demo: task families, comma-separated [default: every family].")  # fmt: skip
@click.option("--seeds", default=20, show_default=True, type=click.IntRange(1),
              help="Training seeds per task (demo: new tasks per family).")  # fmt: skip
@click.option("--first-seed", default=0, show_default=True, type=click.IntRange(0, 999))
@click.option("--parallel", default=2, show_default=True, type=click.IntRange(1, 64), help="Episodes at once.")
@click.option("--plans", type=click.Path(file_okay=False), help="Grounded plans [default: plans/miniwob].")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@backend_options
def generate_command(
    benchmark: str, out: str, patterns: str | None, seeds: int, first_seed: int, parallel: int, plans: str | None,
    as_json: bool, **backend: Any,
) -> None:  # fmt: skip
    """Training data from nothing, with no teacher model: the benchmark generates the tasks.

    miniwob: every seed is a new task instance. The grounded plans of plans/miniwob
    are replayed over the training seeds with page recording; only episodes the
    page's own reward judged successful are kept, grounded into plans with the
    episode's values in their intents, and exported as planner, replanner and
    executor examples (OUT/export). Seeds from 1000 on are held out for
    evaluation and refused here. Rerunning the command resumes.

    demo: the demo shop's task families (search-cheapest, product-info, cart-add,
    search-filter, navigation, cart-edit) make a new task of every seed from the
    catalogue, with its evaluator and a reference plan (OUT/tasks.json,
    OUT/plans). The plans are replayed against the bundled shop with page
    recording, and an episode is kept only when the task's evaluator passes it.
    Held-out tasks (`planact synth demo-tasks`) never ask what these ask.

    With --backend ray the recording episodes run on the workers of a Ray cluster
    (--parallel workers). Grounding and export stay in this process: they run no
    browser (no replay: the page's reward stands for it) and take seconds.

    \b
    Example:
      planact synth generate miniwob --tasks 'click-*,enter-text' --seeds 50 -o data/miniwob
      planact synth generate demo --tasks cart-add,product-info --seeds 30 -o data/demo
    """
    from ..synth.generate import GenerateError, generate_demo, generate_miniwob
    from .bench import backend_from_flags

    if benchmark == "demo" and plans:
        raise click.UsageError("--plans is for miniwob: the demo tasks' plans are generated with them")
    runs_on = backend_from_flags(**backend, command="planact synth generate")
    try:
        if benchmark == "demo":
            result = generate_demo(Path(out), patterns, seeds, first_seed, parallel, progress=_say, backend=runs_on)
        else:
            result = generate_miniwob(
                Path(out), patterns, seeds, first_seed, parallel, Path(plans) if plans else None,
                progress=_say, backend=runs_on,
            )  # fmt: skip
    except GenerateError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        click.echo(json.dumps(vars(result), indent=2))


@synth.command("demo-tasks")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Folder for tasks.json and plans/ (their reference plans).")  # fmt: skip
@click.option("--families", metavar="NAMES", help="Task families, comma-separated [default: every family].")
@click.option("--instances", default=5, show_default=True, type=click.IntRange(1), help="Tasks per family.")
@click.option("--first-seed", default=1000, show_default=True, type=click.IntRange(0),
              help="First seed; from 1000 on the tasks are held out (never generated for training).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the tasks written as JSON.")
def demo_tasks_command(out: str, families: str | None, instances: int, first_seed: int, as_json: bool) -> None:
    """Write demo-shop tasks of the generated families, held-out ones by default.

    OUT/tasks.json is a WebArena-format task file with __DEMO__ placeholders, and
    OUT/plans/TASK_ID.pa the reference plan of each task, so that

    \b
      planact bench demo --task-file OUT/tasks.json --plans OUT/plans --agent replay
      planact bench demo --task-file OUT/tasks.json --agent dynamic --model local:miniwob-agent

    check the tasks and evaluate an agent on them (the agent sees the instruction
    and the page, not the plans). A family with fewer contents left than asked for
    gives what it has.
    """
    from ..synth.demo_tasks import DemoTaskError, write_tasks
    from ..synth.demo_tasks import families as named
    from ..synth.demo_tasks import instances as make_instances

    try:
        chosen = make_instances(named(families), instances, first_seed)
    except DemoTaskError as err:
        raise click.ClickException(str(err)) from None
    tasks, plans = write_tasks(chosen, Path(out))
    if as_json:
        click.echo(json.dumps([i.config() for i in chosen], indent=2))
    else:
        for item in chosen:
            _say(f"  {item.task_id:22} {item.intent}")
        _say(f"{len(chosen)} tasks -> {tasks}; reference plans -> {plans}")


@synth.command("stats")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_command(folder: str, as_json: bool) -> None:
    """Honest numbers about a synth folder, an export folder, or a `synth generate` folder (both).

    A synth folder: how many plans were kept and dropped (and why), steps per plan, actions per step,
    lint-reject and replay-success rates.  An export folder: examples per role, their token lengths
    (with the local model's own vocabulary when it is installed) and examples per start page.
    """
    from ..synth.stats import EXPORT_ROLES, export_stats, stats

    root = Path(folder)
    numbers: dict[str, Any] = {}
    generated = (root / "data").is_dir() and (root / "export").is_dir()  # a `synth generate` folder
    exported = not generated and any((root / f"{role}.jsonl").exists() for role in EXPORT_ROLES)
    if not exported:
        numbers.update(stats(root / "data" if generated else root))
    if generated or exported:
        numbers["examples"] = export_stats(root / "export" if generated else root)
    if as_json:
        click.echo(json.dumps(numbers, indent=2))
        return
    examples = numbers.pop("examples", None)
    for key, value in numbers.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        click.echo(f"{key.replace('_', ' '):24} {value}")
    if examples:
        click.echo(f"examples (tokens counted by {examples.pop('tokens_counted_by')}):")
        for role, row in examples.items():
            tokens, pages = row["tokens"], row["per_page"]
            click.echo(
                f"  {role:10} {row['examples']:6} examples, tokens mean {tokens['mean']} median {tokens['median']} "
                f"max {tokens['max']} ({row['over_1536_tokens']} over 1536), answers mean "
                f"{row['answer_tokens']['mean']}; {len(pages)} start pages"
            )
