"""The MCP server: lint, format, diff, graph, language, observe, run_plan and plan as tools.

Safety for an untrusted client: the sites are fixed at start (a plan declaring another origin is refused
with PA501), secrets come from ``PLANACT_SECRET_<NAME>`` and every result is scrubbed of them, runs are
bounded in time and steps, and runs write only under the server's run folder.  A run goes on in its own
thread and event loop, so a cancelled request cancels the run's task once and the browser closes cleanly;
the run folder stays resumable with ``planact exec PLAN --resume RUN``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations

from ..lang.origins import origin_of
from ..scrub import Scrubber
from ..syntax.diagnostics import Diagnostic, PlanError
from ..syntax.format import format_plan
from ..syntax.parser import parse

ENGINE = Path(__file__).resolve().parent.parent
READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)
BROWSING = ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=True)
RUNNING = ToolAnnotations(readOnlyHint=False, destructiveHint=True, openWorldHint=True)


@dataclass
class ServerConfig:
    """What a server may do, fixed when it starts."""

    sites: dict[str, str] = field(default_factory=dict)  # name -> URL
    runs: str = "runs"
    max_seconds: float = 300.0
    max_steps: int = 50
    timeout: float = 10.0  # seconds per browser wait
    model: str | None = None
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def origins(self) -> frozenset[str]:
        """The origins of the allowed sites."""
        return frozenset(o for o in (origin_of(u) for u in self.sites.values()) if o)


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    """A diagnostic as structured content: code, severity, message, line, col, help."""
    return {
        "code": d.code, "severity": d.severity, "message": d.message,
        "line": d.span.line, "col": d.span.column, "help": d.help,
    }  # fmt: skip


def _readable(path: str) -> None:
    """A client may name plan files (``.pa``, links followed) only: any other file's text could come back to
    it inside a diagnostic."""
    if Path(path).resolve().suffix != ".pa":
        raise ToolError(f"cannot read {path}: a path must name a plan file (.pa); give other text as `text`")


def load_plan(text: str | None, path: str | None) -> tuple[Any, str, list[Diagnostic]]:
    """A plan from ``text`` or a file ``path``: (plan or None, source text, diagnostics); bad input raises ToolError."""
    if (text is None) == (path is None):
        raise ToolError("give the plan as `text` or as `path`, exactly one of them")
    if path is not None:
        _readable(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ToolError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    assert text is not None
    try:
        return parse(text), text, []
    except PlanError as err:
        return None, text, list(err.diagnostics)


def lint_plan(text: str | None, path: str | None) -> list[Diagnostic]:
    """Every diagnostic of a plan (syntax errors, or the checks' findings)."""
    from ..check import check_plan

    plan, source, problems = load_plan(text, path)
    if plan is None:
        return problems
    return check_plan(plan, source=source, path=path)


def origin_refusals(plan: Any, allowed: frozenset[str]) -> list[Diagnostic]:
    """PA501 for each of the plan's ``site`` declarations outside the server's allowed origins."""
    out = []
    for site in plan.sites:
        origin = origin_of(site.url.text)
        if origin not in allowed:
            out.append(Diagnostic(
                code="PA501", span=site.url.span,
                message=f"site `{site.name.name}` = {site.url.text!r} is not an origin this server may visit",
                help=f"this server allows: {', '.join(sorted(allowed)) or 'no sites'} (set with `planact mcp --site`)",
            ))  # fmt: skip
    return out


class Guarded:
    """Wraps a tool: its result (and any error's message) is scrubbed of secrets; no traceback leaves it."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber

    def __call__(self, fn: Any) -> Any:
        @functools.wraps(fn)
        async def tool(*args: Any, **kwargs: Any) -> Any:
            try:
                result = fn(*args, **kwargs)
                if asyncio.iscoroutine(result):
                    result = await result
            except ToolError as err:
                raise ToolError(self.scrubber.text(str(err))) from None
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as err:  # noqa: BLE001 - a tool's failure is a result, never a dead server
                raise ToolError(self.scrubber.text(f"{type(err).__name__}: {err}")) from None
            return self.scrubber.value(result)

        return tool


class BackgroundRun:
    """An executor run in its own thread and event loop; ``cancel`` cancels its task once."""

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[Any] | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._main, name="planact-mcp-run", daemon=True)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        self.task = loop.create_task(self.executor.run())
        self.ready.set()
        try:
            self.result = loop.run_until_complete(self.task)
        except BaseException as err:  # noqa: BLE001 - cancelled or crashed: reported by the caller
            self.error = err
        finally:
            loop.close()

    def start(self) -> None:
        self.thread.start()
        self.ready.wait()

    def cancel(self) -> None:
        if self.loop is not None and self.task is not None and not self.loop.is_closed():
            try:
                self.loop.call_soon_threadsafe(self.task.cancel)
            except RuntimeError:  # the loop closed meanwhile: the run had ended
                pass

    @property
    def running(self) -> bool:
        return self.thread.is_alive()


def build_server(config: ServerConfig) -> FastMCP:
    """The FastMCP server with planact's tools and resources."""
    server = FastMCP(
        "planact",
        log_level="WARNING",
        instructions="Write .pa plans, lint them, and run them in a guarded browser. Call `language` first; "
        "`observe` a page to see its elements; `lint` before `run_plan`.",
    )
    scrubber = Scrubber.of(config.secrets.values())
    guarded = Guarded(scrubber)
    allowed = config.origins

    @server.tool(annotations=READ_ONLY)
    @guarded
    def lint(text: str | None = None, path: str | None = None) -> dict[str, Any]:
        """Check a plan (given as `text` or a file `path`): diagnostics with code, severity, message, line, col, help."""
        found = lint_plan(text, path)
        return {
            "ok": not any(d.severity == "error" for d in found),
            "diagnostics": [diagnostic_json(d) for d in found],
        }

    @server.tool(name="format", annotations=READ_ONLY)
    @guarded
    def format_(text: str | None = None, path: str | None = None) -> dict[str, Any]:
        """The plan in canonical form (nothing is written); `changed` says whether it differs from the input."""
        plan, source, problems = load_plan(text, path)
        if plan is None:
            raise ToolError("the plan does not parse: " + "; ".join(f"{d.code} {d.message}" for d in problems))
        out = format_plan(plan)
        return {"text": out, "changed": out != source}

    @server.tool(annotations=READ_ONLY)
    @guarded
    def diff(
        old_text: str | None = None,
        old_path: str | None = None,
        new_text: str | None = None,
        new_path: str | None = None,
    ) -> dict[str, Any]:
        """The step-level semantic diff of two plans (each as text or path): a text rendering and the edits as JSON."""
        from ..graph.diff import diff_plans
        from ..graph.render_diff import render_json, render_text

        plans = []
        for text, path in ((old_text, old_path), (new_text, new_path)):
            plan, _, problems = load_plan(text, path)
            if plan is None:
                raise ToolError("a plan does not parse: " + "; ".join(f"{d.code} {d.message}" for d in problems))
            plans.append(plan)
        result = diff_plans(*plans)
        return {"equal": result.is_empty, "text": render_text(result), "edits": render_json(result)}

    @server.tool(annotations=READ_ONLY)
    @guarded
    def graph(text: str | None = None, path: str | None = None, form: str = "json") -> dict[str, Any]:
        """The plan's step graph: `form` json (nodes and edges), mermaid or dot."""
        from ..graph.build import build_graph
        from ..graph.render_graph import to_dot, to_json, to_mermaid

        forms = {"json": to_json, "mermaid": to_mermaid, "dot": to_dot}
        if form not in forms:
            raise ToolError(f"form is one of json, mermaid, dot, not {form!r}")
        plan, _, problems = load_plan(text, path)
        if plan is None:
            raise ToolError("the plan does not parse: " + "; ".join(f"{d.code} {d.message}" for d in problems))
        rendered = forms[form](build_graph(plan))
        return {"graph": rendered} if form == "json" else {"text": rendered}

    @server.tool(annotations=READ_ONLY)
    @guarded
    def language(code: str | None = None) -> dict[str, Any]:
        """The plan language reference, the stdlib's procedures, the allowed sites and the diagnostic codes;
        with `code` (e.g. PA201), what that code means and what to write instead."""
        from ..check import all_rules

        rules = all_rules()
        if code is not None:
            rule = rules.get(code.upper())
            if rule is None:
                raise ToolError(f"unknown code {code!r}; call `language` without a code for the list")
            return {"code": code.upper(), "explain": rule.explain()}
        return {
            "reference": (ENGINE / "models" / "prompts" / "language.md").read_text(encoding="utf-8"),
            "stdlib": (ENGINE / "stdlib" / "web.pa").read_text(encoding="utf-8"),
            "sites": config.sites,
            "secrets": sorted(config.secrets),
            "codes": {c: f"{r.severity}: {r.name}" for c, r in rules.items()},
        }

    @server.tool(annotations=BROWSING)
    @guarded
    async def observe(url: str) -> dict[str, Any]:
        """Open `url` (of an allowed site) in headless Chromium; the page as the executor model sees it:
        accessibility text whose `[ref=eN]` elements a plan can target with `ref "eN"` (on that page)."""
        from ..browser.session import SessionOptions
        from ..run.drafting import observe_url

        if origin_of(url) not in allowed:
            raise ToolError(f"{url!r} is not on a site this server may visit: {', '.join(sorted(allowed)) or 'none'}")
        seen = await observe_url(url, SessionOptions(
            allowed_origins=allowed, timeout_ms=config.timeout * 1000, secrets=tuple(config.secrets.values()),
        ))  # fmt: skip
        return {"url": seen.url, "text": seen.masked(scrubber).text()}

    @server.tool(annotations=RUNNING)
    @guarded
    async def run_plan(
        ctx: Context,
        text: str | None = None,
        path: str | None = None,
        inputs: dict[str, str] | None = None,
        max_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Run a plan in headless Chromium (the code `planact exec` runs). Secret inputs are bound by name from the
        server's PLANACT_SECRET_<NAME> variables. Returns status, answer, step outputs, the run folder and the
        grounded plan; progress is reported per step; a cancelled run stops and stays resumable."""
        return await _run(config, ctx, text, path, inputs or {}, max_seconds)

    @server.tool(annotations=BROWSING)
    @guarded
    async def plan(goal: str, site: str | None = None) -> dict[str, Any]:
        """Write a plan for `goal` on an allowed site (name; default the first) with the server's planner model."""
        if config.model is None:
            raise ToolError("no planner model is configured: start the server with `planact mcp --model SPEC`")
        from ..browser.session import SessionOptions
        from ..models.config import load_model
        from ..run.drafting import draft_plan

        if not config.sites:
            raise ToolError("the server allows no sites (start it with --site NAME=URL)")
        name = site or next(iter(config.sites))
        if name not in config.sites:
            raise ToolError(f"unknown site {name!r}; the server allows {', '.join(config.sites)}")
        model = load_model(config.model, role="planner", default="local")
        draft, _ = await draft_plan(
            goal, config.sites[name], name, model, SessionOptions(timeout_ms=config.timeout * 1000)
        )
        return {
            "ok": draft.plan is not None, "text": draft.text, "attempts": draft.attempts,
            "problems": draft.problems or None,
        }  # fmt: skip

    _add_resources(server, config, scrubber)
    return server


async def _run(
    config: ServerConfig, ctx: Context, text: str | None, path: str | None, inputs: dict[str, str], limit: float | None
) -> dict[str, Any]:
    from ..browser.session import SessionOptions
    from ..check import check_plan
    from ..lang.values import bind_inputs
    from ..run.events import RunCancelled
    from ..run.executor import Executor, procedures_of, refusal, ungroundable_steps
    from ..run.records import RunRecord

    plan, source, problems = load_plan(text, path)
    if plan is None:
        return {"status": "refused", "diagnostics": [diagnostic_json(d) for d in problems]}
    problems = [d for d in check_plan(plan, source=source, path=path) if d.severity == "error"]
    problems += origin_refusals(plan, config.origins)
    if problems:
        return {"status": "refused", "diagnostics": [diagnostic_json(d) for d in problems]}
    if len(plan.steps) > config.max_steps:
        raise ToolError(f"the plan has {len(plan.steps)} steps; this server runs at most {config.max_steps}")
    base = str(Path(path).parent) if path else None
    missing = ungroundable_steps(plan.steps, procedures_of(plan, base))
    if missing:
        raise ToolError(refusal(missing))
    try:
        values = bind_inputs(plan, {k: str(v) for k, v in inputs.items()}, config.secrets)
    except ValueError as err:
        raise ToolError(str(err)) from None
    record = RunRecord.create(config.runs)
    record.start(format_plan(plan), values)
    options = SessionOptions(timeout_ms=config.timeout * 1000, trace="actions")
    options.trace_path = str(record.path / "trace.zip")
    events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    started_steps = [0]
    total = len(plan.steps)

    def hook(kind: str, event: dict[str, Any]) -> None:
        if kind == "step_started":
            started_steps[0] += 1
            if started_steps[0] > config.max_steps:
                run.cancel()
        events.put((kind, event))

    executor = Executor(plan, values, record, options, base=base, hooks=[hook])
    run = BackgroundRun(executor)
    seconds = min(limit or config.max_seconds, config.max_seconds)
    started, ended, stopped = time.monotonic(), 0, None
    run.start()
    try:
        while run.running:
            await anyio.sleep(0.1)
            while not events.empty():
                kind, event = events.get()
                if kind in ("step_finished", "step_skipped", "step_failed"):
                    ended += 1
                    await ctx.report_progress(ended, total, f"{event['step']} {kind.removeprefix('step_')}")
            if time.monotonic() - started > seconds and stopped is None:
                stopped = f"the run took longer than {seconds:g} s and was stopped"
                run.cancel()
            if started_steps[0] > config.max_steps and stopped is None:
                stopped = f"the run started more than {config.max_steps} steps and was stopped"
    except BaseException:
        run.cancel()  # the request was cancelled: stop the run, let it close its browser, keep its record
        with anyio.CancelScope(shield=True):
            while run.running:
                await anyio.sleep(0.05)
        record.write(RunCancelled(reason="the MCP request was cancelled"))
        raise
    result = run.result
    resume = f"planact exec PLAN --resume {record.path}"
    if result is None:
        reason = stopped or f"the run ended with {type(run.error).__name__}: {run.error}"
        record.write(RunCancelled(reason=reason))
        return {"status": "stopped", "error": reason, "record": str(record.path), "resume": resume}
    summary = {
        "status": result.status, "answer": result.answer, "error": result.error, "failed_step": result.failed_step,
        "steps": result.steps, "outputs": result.outputs, "record": str(record.path),
        "blocked_navigation": result.blocked, "seconds": round(result.seconds, 2),
        "grounded_plan": format_plan(result.plan) if result.plan is not None else None,
    }  # fmt: skip
    if result.status != "succeeded":
        summary["resume"] = resume
    return json.loads(json.dumps(record.scrub(summary), default=str))


def _reader(file: Path) -> Any:
    """A resource function that reads ``file``."""

    def read() -> str:
        return file.read_text(encoding="utf-8")

    return read


def _add_resources(server: FastMCP, config: ServerConfig, scrubber: Scrubber) -> None:
    """The stdlib, the example plans and the recent runs as resources."""
    stdlib = ENGINE / "stdlib" / "web.pa"
    server.resource("planact://stdlib/web.pa", name="stdlib web.pa", mime_type="text/plain")(
        lambda: stdlib.read_text(encoding="utf-8")
    )
    for folder in ("examples", "demo"):
        for file in sorted((ENGINE / "plans" / folder).glob("*.pa")):
            server.resource(
                f"planact://plans/{folder}/{file.name}", name=f"{folder}/{file.name}", mime_type="text/plain"
            )(_reader(file))

    @server.resource("planact://runs", name="recent runs", mime_type="application/json")
    def runs() -> str:
        """The 20 latest runs of this server: folder, how they ended, and the URI of each one's report."""
        out = []
        folders = sorted((p for p in Path(config.runs).glob("*") if (p / "events.jsonl").exists()), reverse=True)
        for folder in folders[:20]:
            last = {}
            for line in (folder / "events.jsonl").read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    event = json.loads(line)
                except ValueError:  # a line cut short by a killed run
                    continue
                if isinstance(event, dict) and event.get("event") in (
                    "run_finished", "run_failed", "run_cancelled", "run_started"
                ):  # fmt: skip
                    last = event
            out.append({"record": str(folder), "last": last, "report": f"planact://runs/{folder.name}/report"})
        return scrubber.text(json.dumps(out, ensure_ascii=False))

    @server.resource("planact://runs/{name}/report", name="run report", mime_type="text/html")
    def run_report(name: str) -> str:
        """The self-contained HTML report of one of this server's runs (as `planact report`)."""
        from ..report import NotARun, write_report

        folder = Path(config.runs) / name
        if "/" in name or name.startswith(".") or not (folder / "events.jsonl").exists():
            raise ToolError(f"no run {name!r} in this server's runs (see planact://runs)")
        try:
            written = write_report(folder)
        except NotARun as err:
            raise ToolError(str(err)) from None
        return scrubber.text(Path(written.html).read_text(encoding="utf-8"))
