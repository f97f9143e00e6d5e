"""A run as one self-contained HTML page: header, step graph, timeline, plan revisions, model calls.

Nothing on the page is fetched: the styles and the few lines of script are inline, the graph is an
inline SVG and the screenshots are ``data:`` URIs (an animated summary, when asked for, is a file beside
the report, linked by a relative path).  Every text from the record is escaped; the texts are the
record's own, so secrets are masked exactly as in its event log.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from .collect import Attempt, ModelCallView, RunView, StepView
from .svg import COLOURS, step_graph_svg

# nothing may be fetched: inline styles and script, images inline or beside the report
CSP = "default-src 'none'; img-src data: file: 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

STYLE = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#202124;background:#f8f9fa}
header{background:#fff;border-bottom:1px solid #dadce0;padding:18px 28px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 10px}h3{font-size:14px;margin:14px 0 6px}
.goal{color:#5f6368;margin:0 0 12px}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;
 vertical-align:middle}
.badge.succeeded,.badge.done{background:#1e8e3e}.badge.failed{background:#d93025}
.badge.incomplete,.badge.unfinished{background:#e37400}.badge.skipped,.badge.pending{background:#80868b}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:6px 18px;margin:10px 0 0}
.facts div{min-width:0}.facts b{display:block;font-size:11px;color:#5f6368;font-weight:600;text-transform:uppercase;
 letter-spacing:.03em}
.answer{margin:10px 0 0;padding:8px 12px;background:#e8f0fe;border-radius:6px;overflow-wrap:anywhere}
main{display:grid;grid-template-columns:minmax(0,max-content) minmax(0,1fr);gap:28px;padding:0 28px 40px}
@media (max-width:980px){main{grid-template-columns:minmax(0,1fr)}}
.side{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;padding-bottom:20px;max-width:46vw}
.graph a{cursor:pointer}.graph a:hover rect,.graph a.sel rect{stroke-width:3.5}
.graph .sid{font:600 13px ui-monospace,Menlo,Consolas,monospace;fill:#202124}
.graph .st{font:11px system-ui,sans-serif}.graph .sin{font:12px system-ui,sans-serif;fill:#5f6368}
.legend{font-size:12px;color:#5f6368;max-width:440px}.legend span{display:inline-block;width:10px;height:10px;border-radius:2px;
 margin:0 4px 0 10px;vertical-align:-1px}
.gaps{background:#fef7e0;border:1px solid #f9ab00;border-radius:6px;padding:8px 14px;margin:16px 0 0}
.gaps ul{margin:4px 0;padding-left:20px}
details.step{background:#fff;border:1px solid #dadce0;border-left:5px solid var(--c);border-radius:6px;
 margin:0 0 8px;scroll-margin-top:8px}
details.step.flash{box-shadow:0 0 0 3px #8ab4f8}
details>summary{cursor:pointer;padding:8px 12px;list-style-position:outside}
details.step>summary{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.sid{font:600 13px ui-monospace,Menlo,Consolas,monospace}.muted{color:#5f6368}
.body{padding:0 14px 12px}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}
td,th{border-bottom:1px solid #e8eaed;padding:4px 6px;text-align:left;vertical-align:top}
th{font-size:11px;color:#5f6368;text-transform:uppercase}
code,pre{font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f1f3f4;padding:8px 10px;border-radius:5px;overflow:auto;max-height:480px;white-space:pre-wrap;
 overflow-wrap:anywhere;margin:6px 0}
.err{color:#b3261e;background:#fce8e6;border-radius:5px;padding:6px 10px;margin:6px 0;white-space:pre-wrap;
 overflow-wrap:anywhere}
.warn{color:#8a4b00}
.shot{display:block;max-width:min(100%,720px);border:1px solid #dadce0;border-radius:4px;margin:8px 0}
.diff .add{color:#137333}.diff .del{color:#b3261e}.diff .chg{color:#b06000}
details.box{background:#fff;border:1px solid #dadce0;border-radius:6px;margin:0 0 8px}
.tools button{font:12px system-ui,sans-serif;margin-right:6px}
"""

SCRIPT = """
function show(id, scroll){
  var d = document.getElementById('step-' + id); if (!d) return;
  d.open = true;
  document.querySelectorAll('.graph a.sel').forEach(function(n){ n.classList.remove('sel'); });
  document.querySelectorAll('.graph a').forEach(function(n){ if (n.dataset.step === id) n.classList.add('sel'); });
  document.querySelectorAll('details.step.flash').forEach(function(n){ n.classList.remove('flash'); });
  d.classList.add('flash');
  if (scroll !== false) d.scrollIntoView({block: 'start'});
}
document.querySelectorAll('.graph a').forEach(function(n){
  n.addEventListener('click', function(e){
    e.preventDefault(); show(n.dataset.step); history.replaceState(null, '', '#step-' + n.dataset.step);
  });
});
function all(open){ document.querySelectorAll('details.step').forEach(function(d){ d.open = open; }); }
if (location.hash.indexOf('#step-') === 0) show(decodeURIComponent(location.hash.slice(6)));
"""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _seconds(ms: Any) -> str:
    return f"{float(ms) / 1000:.2f} s" if isinstance(ms, int | float) else ""


def _clock(t: Any) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S") if isinstance(t, int | float) and t else ""


def data_uri(path: Path) -> str | None:
    """The image as a ``data:`` URI (None when it cannot be read)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    kind = {".png": "png", ".gif": "gif", ".webp": "webp"}.get(path.suffix.lower(), "jpeg")
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def _header(run: RunView, summary_gif: str | None) -> str:
    plan, first = run.plan, run.first_plan
    title = plan.title.text if plan is not None else (run.parts[0].get("plan") if run.parts else run.path.name)
    goal = (plan.goal or first.goal) if plan is not None and first is not None else None
    tokens = run.tokens
    done = sum(s.status == "done" for s in run.steps.values())
    facts = [
        ("status", _badge(run.status)),
        ("total time", escape(f"{run.seconds:.1f} s") + (f" in {len(run.parts)} parts" if len(run.parts) > 1 else "")),
        ("steps", escape(f"{done} done of {len(run.steps)}")),
        ("model calls", escape(str(tokens["calls"]))),
        ("tokens", escape(f"{tokens['prompt_tokens']} prompt + {tokens['completion_tokens']} completion")),
        ("plan revisions", escape(str(max(0, len(run.revisions) - 1)))),
        ("started", escape(_clock(run.parts[0]["t"] if run.parts else None))),
        ("record", f"<code>{escape(str(run.path))}</code>"),
    ]
    if plan is not None and plan.sites:
        sites = "<br>".join(f"<code>{escape(s.name.name)}</code> {escape(s.url.text)}" for s in plan.sites)
        facts.insert(6, ("sites", sites))
    if run.inputs:
        shown = ", ".join(f"{escape(k)} = {escape(_json(v))}" for k, v in run.inputs.items())
        facts.append(("inputs", shown))
    if run.episode:
        e = run.episode
        verdict = "success" if e.get("success") else ("failure" if "success" in e else "not judged")
        facts.insert(
            1, ("episode", escape(f"{e.get('benchmark')} · {e.get('agent')} · {e.get('task')} seed {e.get('seed')}"))
        )
        facts.insert(2, ("judged", escape(f"{verdict} (reward {e.get('reward', '?')})")))
    out = [f"<header><h1>{escape(str(title))}</h1>"]
    if goal is not None:
        out.append(f'<p class="goal">{escape(goal.text)}</p>')
    out.append('<div class="facts">' + "".join(f"<div><b>{k}</b>{v}</div>" for k, v in facts) + "</div>")
    if run.answer is not None:
        out.append(f'<div class="answer"><b>answer:</b> {escape(str(run.answer))}</div>')
    final = run.finished[-1] if run.finished else None
    if final is not None and final.get("error"):
        out.append(f'<div class="err">{escape(str(final["error"]))}</div>')
    if run.gaps:
        items = "".join(f"<li>{escape(g.message)}</li>" for g in run.gaps)
        out.append(f'<div class="gaps"><b>Gaps in this record</b><ul>{items}</ul></div>')
    if summary_gif:
        out.append(
            f'<details class="box" style="margin-top:12px"><summary>Animated summary</summary>'
            f'<img class="shot" alt="animated summary of the run" src="{escape(summary_gif)}"></details>'
        )
    out.append("</header>")
    return "".join(out)


def _target(target: Any) -> str:
    if not isinstance(target, dict):
        return '<span class="muted">—</span>'
    role = target.get("role") or target.get("tag") or "element"
    bits = [f"<b>{escape(str(role))}</b> “{escape(str(target.get('name') or ''))}”"]
    if target.get("text") and target.get("text") != target.get("name"):
        bits.append(f'<span class="muted">text “{escape(str(target["text"])[:120])}”</span>')
    detail = f"&lt;{escape(str(target.get('tag') or '?'))}&gt; #{escape(str(target.get('fingerprint') or ''))}"
    if target.get("ref"):
        detail += f" ref {escape(str(target['ref']))}"
    bits.append(f'<span class="muted">{detail}</span>')
    return "<br>".join(bits)


def _actions(attempt: Attempt) -> str:
    actions = attempt.actions
    if not actions:
        return ""
    rows = ["<table><tr><th>action</th><th>resolved to</th><th>value</th><th>time</th></tr>"]
    for a in actions:
        shown = a.get("concrete") or a.get("action") or ""
        by = ' <span class="muted">(model)</span>' if a.get("source") == "model" else ""
        value = "" if a.get("value") is None else escape(_json(a["value"]))
        rows.append(
            f"<tr><td><code>{escape(str(shown))}</code>{by}</td><td>{_target(a.get('target'))}</td>"
            f"<td>{value}</td><td>{escape(_seconds(a.get('ms')))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _other_events(attempt: Attempt) -> str:
    out = []
    for e in attempt.events:
        kind = e.get("event")
        if kind == "step_grounded":
            how = "grounded again after its own actions failed" if e.get("healed") else "grounded by the model"
            why = f" ({escape(str(e['reason']))})" if e.get("reason") else ""
            lines = escape("\n".join(str(a) for a in e.get("actions") or []))
            out.append(f"<p>{how} in {escape(str(e.get('turns')))} turns{why}:</p><pre>{lines}</pre>")
        elif kind == "warning":
            out.append(f'<p class="warn">warning: {escape(str(e.get("message")))}</p>')
        elif kind == "navigation_blocked":
            out.append(
                f'<p class="err">navigation blocked: {escape(str(e.get("url")))} '
                f"(no <code>site</code> declares {escape(str(e.get('origin')))})</p>"
            )
    return "".join(out)


def _attempt(run: RunView, attempt: Attempt, many: bool) -> str:
    out = []
    if many or len(run.parts) > 1:
        part = "resumed run" if attempt.part > 0 else "first run"
        out.append(
            f"<h3>{_badge(attempt.status)} attempt in the {part} (part {attempt.part + 1}) "
            f'<span class="muted">{escape(_clock(attempt.started))}</span></h3>'
        )
    facts = []
    if attempt.ms is not None:
        facts.append(f"took {escape(_seconds(attempt.ms))}")
    if attempt.url:
        facts.append(f"page <code>{escape(attempt.url)}</code>")
    if attempt.output is not None:
        facts.append(f"output <code>{escape(_json(attempt.output))}</code>")
    if facts:
        out.append(f"<p>{' · '.join(facts)}</p>")
    if attempt.status == "unfinished":
        out.append('<p class="err">this attempt never ended: the run stopped while the step ran</p>')
    if attempt.reason:
        out.append(f'<p class="muted">skipped: {escape(attempt.reason)}</p>')
    out.append(_actions(attempt))
    out.append(_other_events(attempt))
    if attempt.error:
        out.append(f'<div class="err">{escape(attempt.error)}</div>')
    return "".join(out)


def _step(run: RunView, step: StepView, calls: dict[str, list[ModelCallView]]) -> str:
    fill, stroke = COLOURS.get(step.status, COLOURS["pending"])
    total = sum(a.ms or 0 for a in step.attempts)
    head = [
        _badge(step.status),
        f'<span class="sid">{escape(step.id)}</span>',
        f"<span>{escape(step.intent or '')}</span>",
    ]
    if any(a.ms is not None for a in step.attempts):
        head.append(f'<span class="muted">{escape(_seconds(total))}</span>')
    if len(step.attempts) > 1:
        head.append(f'<span class="muted">{len(step.attempts)} attempts</span>')
    if not step.in_plan:
        head.append('<span class="muted">(removed by a revision)</span>')
    body = [_attempt(run, a, len(step.attempts) > 1) for a in step.attempts]
    if not step.attempts:
        body.append('<p class="muted">never started</p>')
    mine = calls.get(step.id, [])
    if mine:
        links = ", ".join(f'<a href="#call-{c.index}">#{c.index}</a>' for c in mine)
        body.append(f"<p>model calls: {links}</p>")
    if step.screenshot is not None:
        uri = data_uri(step.screenshot)
        if uri:
            body.append(f'<img class="shot" alt="the page after step {escape(step.id)}" src="{uri}">')
    elif run.screenshots_taken and step.status == "done":
        body.append(
            f'<p class="warn">the screenshot after this step is missing (screenshots/{escape(step.id)}.jpg)</p>'
        )
    return (
        f'<details class="step" id="step-{escape(step.id)}" data-step="{escape(step.id)}" '
        f'style="--c:{stroke}"><summary>{"".join(head)}</summary><div class="body">{"".join(body)}</div></details>'
    )


def _diff_html(text: str) -> str:
    lines = []
    for line in text.splitlines():
        mark = line.lstrip()[:2]
        cls = {"+ ": "add", "- ": "del", "~ ": "chg"}.get(mark, "")
        lines.append(f'<span class="{cls}">{escape(line)}</span>' if cls else escape(line))
    return '<pre class="diff">' + "\n".join(lines) + "</pre>"


def _revisions(run: RunView) -> str:
    out = ["<h2>Plan revisions</h2>"]
    if not run.revisions:
        out.append('<p class="muted">no plan revision in the record</p>')
    for rev in run.revisions:
        e = rev.event or {}
        what = "as the run started" if rev.number == 0 else "revised by the planner"
        if e.get("source") == "resume":
            what = "the plan given to resume the run"
        if e.get("after"):
            what += f" after step <code>{escape(str(e['after']))}</code>"
        summary = ""
        if rev.summary is not None:
            a, c, r = rev.summary
            summary = f" · +{a} ~{c} -{r}"
        body = []
        if e.get("reasoning"):
            body.append(f"<p><b>planner's reasoning</b></p><pre>{escape(str(e['reasoning']))}</pre>")
        if rev.problem:
            body.append(f'<div class="err">{escape(rev.problem)}</div>')
        if rev.diff_text is not None:
            body.append(f"<p><b>diff against revision {rev.number - 1}</b> (as <code>planact diff</code>)</p>")
            body.append(_diff_html(rev.diff_text))
        if rev.text is not None:
            body.append(f"<details><summary>{escape(rev.file)}</summary><pre>{escape(rev.text)}</pre></details>")
        out.append(
            f'<details class="box revision" id="revision-{rev.number}" {"open" if rev.number else ""}>'
            f"<summary><b>revision {rev.number}</b> <code>{escape(rev.file)}</code> {what}{escape(summary)}</summary>"
            f'<div class="body">{"".join(body)}</div></details>'
        )
    for kept in run.kept:
        out.append(
            f'<p class="muted">after step <code>{escape(str(kept.get("after")))}</code> the plan was kept: '
            f"{escape(str(kept.get('reason') or ''))}</p>"
        )
    return "".join(out)


def _calls(run: RunView) -> str:
    out = ["<h2>Model calls</h2>"]
    if not run.calls and not run.model_errors:
        out.append('<p class="muted">no model was called in this run</p>')
    for call in run.calls:
        e = call.event
        step = f" · step <code>{escape(str(e['step']))}</code>" if e.get("step") else ""
        est = " (estimated)" if e.get("estimated") else ""
        rejected = f' · <span class="warn">{len(call.rejections)} rejected</span>' if call.rejections else ""
        body = [f"<p>model <code>{escape(str(e.get('model')))}</code> · {escape(_clock(e.get('t')))}</p>"]
        messages = e.get("messages")
        if isinstance(messages, list) and messages:
            prompt = "".join(
                f"<p><b>{escape(str(m.get('role')))}</b></p><pre>{escape(str(m.get('content')))}</pre>"
                for m in messages
                if isinstance(m, dict)
            )
            body.append(f"<details><summary>prompt ({len(messages)} messages)</summary>{prompt}</details>")
        else:
            body.append('<p class="muted">the prompt is not in this record (written by an older planact)</p>')
        if e.get("completion") is not None:
            body.append(f"<details><summary>completion</summary><pre>{escape(str(e['completion']))}</pre></details>")
        for reason in call.rejections:
            body.append(f'<div class="err">answer rejected: {escape(reason)}</div>')
        out.append(
            f'<details class="box call" id="call-{call.index}"><summary><b>#{call.index}</b> '
            f"{escape(str(e.get('role')))} · {escape(str(e.get('purpose')))}{step} · "
            f"{escape(str(e.get('prompt_tokens')))} + {escape(str(e.get('completion_tokens')))} tokens{est} · "
            f"{escape(_seconds(e.get('latency_ms')))}{rejected}</summary>"
            f'<div class="body">{"".join(body)}</div></details>'
        )
    for e in run.model_errors:
        out.append(
            f'<div class="err">{escape(str(e.get("role")))} {escape(str(e.get("purpose")))}: '
            f"{escape(str(e.get('error')))}</div>"
        )
    return "".join(out)


def _parts(run: RunView) -> str:
    if len(run.parts) < 2:
        return ""
    rows = []
    for n, part in enumerate(run.parts):
        later = run.parts[n + 1]["t"] if n + 1 < len(run.parts) else float("inf")
        ended = next((f for f in run.finished if part["t"] <= f["t"] < later), None)
        how = (
            f"{ended.get('status')}" + (f" at step {ended['step']}" if ended.get("step") else "")
            if ended
            else "stopped without finishing (killed or crashed)"
        )
        kind = "started" if part["event"] == "run_started" else "resumed"
        rows.append(
            f"<tr><td>{n + 1}</td><td>{kind}</td><td>{escape(_clock(part['t']))}</td><td>{escape(how)}</td></tr>"
        )
    return (
        "<h2>Parts of the run</h2><table><tr><th>part</th><th>how</th><th>at</th><th>ended</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def render_html(run: RunView, summary_gif: str | None = None) -> str:
    """The whole page; ``summary_gif``: a relative address of the animated summary, shown in the header."""
    steps = run.ordered_steps()
    statuses = {s.id: s.status for s in steps}
    intents = {s.id: s.intent for s in steps}
    svg = step_graph_svg(run.graph, run.revisions, statuses, intents)
    calls: dict[str, list[ModelCallView]] = {}
    for call in run.calls:
        if call.event.get("step"):
            calls.setdefault(str(call.event["step"]), []).append(call)
    legend = "".join(f'<span style="background:{stroke}"></span>{escape(s)}' for s, (_, stroke) in COLOURS.items())
    title = run.plan.title.text if run.plan is not None else run.path.name
    side = (
        f'<div class="side"><h2>Step graph</h2>{svg or "<p class=muted>no plan to draw</p>"}'
        f'<p class="legend">{legend}</p><p class="legend">solid: <code>after</code> · dotted: the step before · '
        "dashed: reads its output · greyed: removed by a revision. Click a step to see it.</p></div>"
    )
    timeline = [
        '<div><h2>Timeline</h2><p class="tools"><button type="button" onclick="all(true)">expand all</button>'
        '<button type="button" onclick="all(false)">collapse all</button></p>',
        *(_step(run, s, calls) for s in steps),
        _parts(run),
        _revisions(run),
        _calls(run),
        f'<p class="muted">Written by <code>planact report</code>. The Playwright trace, if any, is '
        f"<code>{escape(str(run.path / 'trace.zip'))}</code> (<code>playwright show-trace</code>).</p></div>",
    ]
    return "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        f"<title>{escape(str(title))} — planact run</title><style>{STYLE}</style></head><body>",
        _header(run, summary_gif), f"<main>{side}{''.join(timeline)}</main>",
        f"<script>{SCRIPT}</script></body></html>",
    ]) + "\n"  # fmt: skip
