"""Rendering a plan diff: a :class:`PlanDiff` printed like a ``terraform plan`` (``+ ~ -``, optional
colour) or as JSON.  The step graph itself is rendered by :mod:`planact.graph.render_graph`."""

from __future__ import annotations

from typing import Any

from ..syntax import ast
from ..syntax.format import format_step
from .diff import ActionLine, Insert, ItemChange, Keep, PlanDiff, Remove, Update, without_comments

_COLOURS = {"+": "32", "-": "31", "~": "33"}  # green, red, yellow
_JSON_OPS = {"+": "add", "-": "remove", "~": "change"}


def _paint(text: str, op: str, color: bool) -> str:
    return f"\x1b[{_COLOURS[op]}m{text}\x1b[0m" if color and op in _COLOURS else text


def _step_text(step: ast.Step) -> list[str]:
    """The step as the formatter prints it, without comments."""
    return format_step(without_comments(step))  # type: ignore[arg-type]


def _step_lines(step: ast.Step, op: str, color: bool) -> list[str]:
    return [_paint(f"  {op} {line}", op, color) for line in _step_text(step)]


def _diff_lines(lines: tuple[ActionLine, ...], indent: str, color: bool) -> list[str]:
    """Changed lines marked ``+``/``-`` (coloured), unchanged ones indented to match."""
    return [_paint(f"{indent}{line.op} {line.text}", line.op, color) for line in lines]


def render_text(diff: PlanDiff, *, color: bool = False) -> str:
    """Human-readable diff ending with ``Plan: N to add, N to change, N to remove.``"""
    if diff.is_empty:
        return "No changes.\n"
    out: list[str] = []
    for item in diff.items:
        label = f"{item.kind} {item.name}" if item.kind not in ("title", "goal") else item.kind
        if item.lines:
            out.append(_paint(f"  ~ {label}", "~", color))
            out += _diff_lines(item.lines, "      ", color)
        elif item.op == "~":
            out.append(_paint(f"  ~ {label}", "~", color))
            out.append(_paint(f"      - {item.old}", "-", color))
            out.append(_paint(f"      + {item.new}", "+", color))
        else:
            for line in (item.new if item.op == "+" else item.old or "").split("\n"):
                out.append(_paint(f"  {item.op} {line}", item.op, color))
    for edit in diff.edits:
        if isinstance(edit, Keep):
            continue
        if isinstance(edit, Insert):
            out += _step_lines(edit.step, "+", color)
        elif isinstance(edit, Remove):
            out += _step_lines(edit.step, "-", color)
        elif isinstance(edit, Update):
            out.append(_paint(f"  ~ step {edit.new.id.name}", "~", color))
            for change in edit.changes:
                if change.field == "actions":
                    out.append(_paint("      ~ actions:", "~", color))
                    out += _diff_lines(edit.actions, "          ", color)
                    continue
                old, new = change.old or "(none)", change.new or "(none)"
                out.append(_paint(f"      ~ {change.field}: {old} -> {new}", "~", color))
    add, change, remove = diff.summary
    out.append("")
    out.append(f"Plan: {add} to add, {change} to change, {remove} to remove.")
    return "\n".join(out) + "\n"


def _item_json(item: ItemChange) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": item.kind,
        "name": item.name,
        "op": _JSON_OPS[item.op],
        "old": item.old,
        "new": item.new,
    }
    if item.lines:
        data["lines"] = [{"op": _JSON_OPS.get(line.op, "keep"), "text": line.text} for line in item.lines]
    return data


def render_json(diff: PlanDiff) -> dict[str, Any]:
    """The same diff as a JSON-ready dict."""
    steps = []
    for edit in diff.edits:
        if isinstance(edit, Insert):
            steps.append(
                {
                    "op": "add",
                    "id": edit.step.id.name,
                    "after": edit.previous,
                    "text": "\n".join(_step_text(edit.step)),
                }
            )
        elif isinstance(edit, Remove):
            steps.append({"op": "remove", "id": edit.step.id.name, "text": "\n".join(_step_text(edit.step))})
        elif isinstance(edit, Update):
            steps.append({
                "op": "change", "id": edit.new.id.name,
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in edit.changes],
                "actions": [{"op": _JSON_OPS.get(line.op, "keep"), "text": line.text} for line in edit.actions],
            })  # fmt: skip
    add, change, remove = diff.summary
    return {
        "equal": diff.is_empty,
        "summary": {"add": add, "change": change, "remove": remove},
        "items": [_item_json(i) for i in diff.items],
        "steps": steps,
    }  # fmt: skip
