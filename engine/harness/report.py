"""Results of benchmark runs as tables: success rate with a 95% Wilson interval, steps, tokens, calls, time.

``summarize`` groups the lines of a results file by agent (and by task);
``markdown`` and ``html`` render the groups; the HTML page is self-contained
(inline CSS and SVG, no scripts) with a bar chart of each agent's success rate.
"""

from __future__ import annotations

import html as _html
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..run.modes import agent_label

Z95 = 1.959964


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (sound at 0 and n, unlike the normal one)."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Group:
    """Totals of a set of episodes."""

    agent: str
    task: str  # a task id, or "all"
    episodes: int = 0
    successes: int = 0
    errors: int = 0
    timeouts: int = 0
    steps: float = 0.0
    actions: float = 0.0
    tokens: float = 0.0
    calls: float = 0.0
    seconds: float = 0.0

    def add(self, row: dict[str, Any]) -> None:
        self.episodes += 1
        self.successes += bool(row.get("success"))
        self.errors += row.get("status") == "error"
        self.timeouts += row.get("status") == "timeout"
        self.steps += row.get("steps") or 0
        self.actions += row.get("actions") or 0
        self.tokens += (row.get("prompt_tokens") or 0) + (row.get("completion_tokens") or 0)
        self.calls += row.get("model_calls") or 0
        self.seconds += row.get("seconds") or 0.0

    @property
    def rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.successes, self.episodes)

    def mean(self, total: float) -> float:
        return total / self.episodes if self.episodes else 0.0

    def as_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "agent": self.agent, "task": self.task, "episodes": self.episodes, "successes": self.successes,
            "success_rate": round(self.rate, 4), "ci95": [round(low, 4), round(high, 4)], "errors": self.errors, "timeouts": self.timeouts,
            "mean_steps": round(self.mean(self.steps), 2), "mean_actions": round(self.mean(self.actions), 2),
            "mean_tokens": round(self.mean(self.tokens), 1), "mean_model_calls": round(self.mean(self.calls), 2),
            "mean_seconds": round(self.mean(self.seconds), 2),
        }  # fmt: skip


def summarize(rows: list[dict[str, Any]]) -> tuple[list[Group], list[Group]]:
    """(per agent overall, per agent and task), agents in first-seen order, tasks sorted."""
    overall: dict[str, Group] = {}
    per_task: dict[tuple[str, str], Group] = defaultdict(lambda: Group("", ""))
    for row in rows:
        agent, task = agent_label(row["agent"], row.get("replan")), row["task"]
        overall.setdefault(agent, Group(agent, "all")).add(row)
        group = per_task[(agent, task)]
        group.agent, group.task = agent, task
        group.add(row)
    tasks = sorted(per_task.values(), key=lambda g: (list(overall).index(g.agent), g.task))
    return list(overall.values()), tasks


HEADERS = ("agent", "task", "episodes", "success", "95% CI", "steps", "actions", "tokens", "calls", "seconds", "errors")


def _percent(x: float) -> str:
    """A rate in whole percent, with a decimal where rounding would say 0% or 100% of something that is not."""
    whole = f"{x:.0%}"
    if whole in ("0%", "100%") and x not in (0.0, 1.0):
        return f"{x:.1%}" if f"{x:.1%}" not in ("0.0%", "100.0%") else f"{x:.2%}"
    return whole


def cells(g: Group) -> list[str]:
    low, high = g.interval
    return [
        g.agent, g.task, str(g.episodes), f"{g.rate:.0%} ({g.successes}/{g.episodes})",
        f"{_percent(low)}–{_percent(high)}", f"{g.mean(g.steps):.1f}", f"{g.mean(g.actions):.1f}",
        f"{g.mean(g.tokens):.0f}", f"{g.mean(g.calls):.1f}", f"{g.mean(g.seconds):.1f}", str(g.errors),
    ]  # fmt: skip


def markdown(rows: list[dict[str, Any]], per_task: bool = True) -> str:
    overall, tasks = summarize(rows)
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for g in overall + (tasks if per_task else []):
        lines.append("| " + " | ".join(cells(g)) + " |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class EpisodeLink:
    """Where an episode's run report is (an address relative to the page) and its thumbnail (a data: URI)."""

    href: str | None = None
    thumbnail: str | None = None


def episode_key_of(row: dict[str, Any]) -> tuple[str, str, Any]:
    return (agent_label(str(row.get("agent")), row.get("replan")), str(row.get("task")), row.get("seed"))


def html(
    rows: list[dict[str, Any]],
    title: str = "planact bench",
    links: dict[tuple[str, str, Any], EpisodeLink] | None = None,
) -> str:
    """A self-contained page: one bar chart of success per agent (with its interval), the tables, then per task
    its episodes with their status (and, with ``links``, each one's thumbnail and a link to its run report)."""
    overall, tasks = summarize(rows)
    esc = _html.escape
    bench = ", ".join(sorted({str(r.get("benchmark")) for r in rows}))
    return "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{esc(title)}</title>",
        "<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,td:nth-child(2),th{text-align:left}"
        "h2{margin-top:2em}" + EPISODE_STYLE + "</style></head><body>",
        f"<h1>{esc(title)}</h1>", f"<p>{esc(bench)}: {len(rows)} episodes.</p>",
        "<h2>Success rate by agent</h2>", _chart(overall),
        "<h2>Overall</h2>", _table(overall), "<h2>By task</h2>", _table(tasks),
        "<h2>Episodes by task</h2>", _episodes(rows, links or {}), "</body></html>",
    ]) + "\n"  # fmt: skip


EPISODE_STYLE = (
    ".task{margin:0 0 14px}.task h3{font-size:14px;margin:0 0 6px}.eps{display:flex;flex-wrap:wrap;gap:8px;"
    "align-items:flex-start}.ep .open{float:right;color:#1a73e8}.ep .none{color:#80868b;margin-top:4px}"
    ".ep{display:block;width:172px;border:1px solid #ccc;border-left:5px solid #9aa0a6;border-radius:5px;padding:4px;"
    "color:#222;text-decoration:none;font-size:12px;background:#fff}.ep img{display:block;width:160px;margin-top:4px}"
    ".ep.success{border-left-color:#1e8e3e}.ep.fail{border-left-color:#d93025}.ep.error,.ep.timeout"
    "{border-left-color:#e37400}a.ep:hover{box-shadow:0 0 0 2px #8ab4f8}"
)


def _outcome(row: dict[str, Any]) -> str:
    if row.get("status") in ("error", "timeout"):
        return str(row["status"])
    return "success" if row.get("success") else "fail"


def _episodes(rows: list[dict[str, Any]], links: dict[tuple[str, str, Any], EpisodeLink]) -> str:
    """Per (agent, task): one card per episode, its seed and outcome, a thumbnail and a link where known."""
    esc = _html.escape
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(str(row.get("agent")), str(row.get("task")))].append(row)
    agents = list(dict.fromkeys(str(r.get("agent")) for r in rows))
    out = []
    for (agent, task), episodes in sorted(groups.items(), key=lambda kv: (agents.index(kv[0][0]), kv[0][1])):
        cards = []
        for row in sorted(episodes, key=lambda r: str(r.get("seed"))):
            link = links.get(episode_key_of(row), EpisodeLink())
            outcome = _outcome(row)
            body = f"seed {esc(str(row.get('seed')))} · <b>{esc(outcome)}</b>"
            if row.get("seconds") is not None:
                body += f" · {esc(str(row['seconds']))} s"
            if link.href:
                body = '<span class="open">report ›</span>' + body
            if link.thumbnail:
                body += f'<img alt="the last page of the episode" src="{esc(link.thumbnail)}">'
            elif link.href:
                body += '<div class="none">no screenshot</div>'
            tip = esc(str(row.get("error") or row.get("answer") or ""), quote=True)
            if link.href:
                cards.append(f'<a class="ep {esc(outcome)}" href="{esc(link.href)}" title="{tip}">{body}</a>')
            else:
                cards.append(f'<div class="ep {esc(outcome)}" title="{tip}">{body}</div>')
        out.append(
            f'<div class="task"><h3>{esc(agent)} · {esc(task)}</h3><div class="eps">{"".join(cards)}</div></div>'
        )
    return "".join(out)


def _table(groups: list[Group]) -> str:
    esc = _html.escape
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in HEADERS) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells(g)) + "</tr>" for g in groups)
    return f"<table>{head}{body}</table>"


def _chart(groups: list[Group]) -> str:
    """Horizontal bars, one per agent: the success rate, with its 95% interval as a whisker."""
    esc = _html.escape
    left, width, bar, gap = 110, 420, 22, 10
    height = len(groups) * (bar + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" role="img">']
    for i, g in enumerate(groups):
        y = i * (bar + gap) + 5
        low, high = g.interval
        parts.append(f'<text x="{left - 8}" y="{y + bar * 0.7}" text-anchor="end">{esc(g.agent)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{g.rate * width:.1f}" height="{bar}" fill="#4c78a8"/>')
        mid = y + bar / 2
        parts.append(
            f'<line x1="{left + low * width:.1f}" x2="{left + high * width:.1f}" y1="{mid}" y2="{mid}" '
            'stroke="#222" stroke-width="2"/>'
        )
        parts.append(f'<text x="{left + width + 8}" y="{y + bar * 0.7}">{g.rate:.0%} of {g.episodes}</text>')
    axis = height - 20
    parts.append(f'<line x1="{left}" x2="{left + width}" y1="{axis}" y2="{axis}" stroke="#888"/>')
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = left + tick * width
        parts.append(f'<text x="{x:.0f}" y="{axis + 15}" text-anchor="middle" font-size="11">{tick:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)
