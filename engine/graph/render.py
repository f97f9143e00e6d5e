"""A :class:`PlanDiff` printed like a ``terraform plan`` (``+ ~ -``, optional colour) or as JSON."""

from __future__ import annotations

from ..syntax.format import format_step
from .diff import Insert, Keep, PlanDiff, Remove, Update

_COLOURS = {"+": "32", "-": "31", "~": "33"}


def _paint(text: str, op: str, color: bool) -> str:
    return f"\x1b[{_COLOURS[op]}m{text}\x1b[0m" if color and op in _COLOURS else text


def _step_lines(step, op: str, color: bool) -> list[str]:
    body = format_step(step.model_copy(update={"comments": (), "trailing": None}))
    lines = [_paint(f"  {op} {body[0]}", op, color)]
    lines += [_paint(f"  {op} {line}", op, color) for line in body[1:] if not line.lstrip().startswith("#")]
    return lines


def render_text(diff: PlanDiff, *, color: bool = False) -> str:
    """Human-readable diff ending with ``Plan: N to add, N to change, N to remove.``"""
    if diff.is_empty:
        return "No changes.\n"
    out: list[str] = []
    for item in diff.items:
        label = f"{item.kind} {item.name}" if item.kind not in ("title", "goal") else item.kind
        if item.op == "~":
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
                    for line in edit.actions:
                        out.append(
                            _paint(f"          {line.op} {line.text}", line.op, color)
                            if line.op != " "
                            else f"            {line.text}"
                        )
                    continue
                old, new = change.old or "(none)", change.new or "(none)"
                out.append(_paint(f"      ~ {change.field}: {old} -> {new}", "~", color))
    add, change, remove = diff.summary
    out.append("")
    out.append(f"Plan: {add} to add, {change} to change, {remove} to remove.")
    return "\n".join(out) + "\n"


def render_json(diff: PlanDiff) -> dict:
    """The same diff as a JSON-ready dict."""
    steps = []
    for edit in diff.edits:
        if isinstance(edit, Insert):
            steps.append(
                {
                    "op": "add",
                    "id": edit.step.id.name,
                    "after": edit.previous,
                    "text": "\n".join(format_step(edit.step)),
                }
            )
        elif isinstance(edit, Remove):
            steps.append({"op": "remove", "id": edit.step.id.name, "text": "\n".join(format_step(edit.step))})
        elif isinstance(edit, Update):
            steps.append({
                "op": "change", "id": edit.new.id.name,
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in edit.changes],
                "actions": [{"op": line.op.strip() or "keep", "text": line.text} for line in edit.actions],
            })  # fmt: skip
    add, change, remove = diff.summary
    return {
        "equal": diff.is_empty,
        "summary": {"add": add, "change": change, "remove": remove},
        "items": [{"kind": i.kind, "name": i.name, "op": {"+": "add", "-": "remove", "~": "change"}[i.op], "old": i.old, "new": i.new} for i in diff.items],
        "steps": steps,
    }  # fmt: skip
