"""A semantic, step-level diff between two plans.

Steps are matched by id.  The result is a :class:`PlanDiff` of frozen edit
records — :class:`Insert`, :class:`Remove`, :class:`Update` (with the fields
that changed), :class:`Keep` — plus :class:`ItemChange` records for the parts
of a plan that are not steps (title, goal, uses, sites, inputs, procedures).
Comments and source positions never count as changes.  Rendering lives in
:mod:`planact.graph.render_diff`; applying a diff to a live graph in
:mod:`planact.graph.patch`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from ..syntax import ast
from ..syntax.format import (
    format_action,
    format_call,
    format_define,
    format_expr,
    format_input,
    format_loop,
    format_site,
    format_string,
    format_type,
    format_use,
)

ItemKind = Literal["title", "goal", "use", "site", "input", "procedure"]


@dataclass(frozen=True)
class FieldChange:
    """One changed field of a step, as text (None: absent)."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ActionLine:
    """One line of an action-list diff: ``op`` is ``+``, ``-`` or `` `` (unchanged context)."""

    op: Literal["+", "-", " "]
    text: str


@dataclass(frozen=True)
class Insert:
    """A step of the new plan only; ``previous`` is the step before it in the new plan."""

    step: ast.Step
    previous: str | None


@dataclass(frozen=True)
class Remove:
    """A step of the old plan only."""

    step: ast.Step


@dataclass(frozen=True)
class Update:
    """A step in both plans that changed: its changed fields, the action-list diff, its new previous step."""

    old: ast.Step
    new: ast.Step
    changes: tuple[FieldChange, ...]
    actions: tuple[ActionLine, ...] = ()
    previous: str | None = None


@dataclass(frozen=True)
class Keep:
    """A step in both plans with the same meaning (comments and layout aside), at the same place."""

    step: ast.Step


@dataclass(frozen=True)
class ItemChange:
    """A change outside the steps: ``op`` ``+`` added, ``-`` removed, ``~`` changed.

    ``old`` and ``new`` are the item as printed; a changed procedure also has
    ``lines``, the line-by-line diff of its text.
    """

    kind: ItemKind
    name: str
    op: Literal["+", "-", "~"]
    old: str | None
    new: str | None
    lines: tuple[ActionLine, ...] = ()


Edit = Insert | Remove | Update | Keep


@dataclass(frozen=True)
class PlanDiff:
    """Everything that differs between two plans.

    ``edits`` has one record per step, in the new plan's order, removed steps
    where they were; ``items`` the plan-level changes.  Two indexes serve
    in-place patching: ``followers`` maps each kept step whose previous step
    changed to its new previous step; ``anchors`` maps each inserted or moved
    step to the nearest steps before and after it that keep their place.
    ``changed`` holds the edits that are not :class:`Keep`, in order.
    """

    old: ast.Plan
    new: ast.Plan
    edits: tuple[Edit, ...]
    items: tuple[ItemChange, ...] = ()
    followers: dict[str, str | None] = field(default_factory=dict)
    anchors: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    changed: tuple[Insert | Remove | Update, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the edits that are not Keep, found once here so that patching never scans the plan
        object.__setattr__(self, "changed", tuple(e for e in self.edits if not isinstance(e, Keep)))

    @staticmethod
    def moved(edit: Edit) -> bool:
        """True for an :class:`Update` whose step changed place."""
        return isinstance(edit, Update) and any(c.field == "position" for c in edit.changes)

    @property
    def summary(self) -> tuple[int, int, int]:
        """(to add, to change, to remove), counting plan-level items too."""
        add = sum(isinstance(e, Insert) for e in self.edits) + sum(i.op == "+" for i in self.items)
        change = sum(isinstance(e, Update) for e in self.edits) + sum(i.op == "~" for i in self.items)
        remove = sum(isinstance(e, Remove) for e in self.edits) + sum(i.op == "-" for i in self.items)
        return add, change, remove

    @property
    def is_empty(self) -> bool:
        """True when the plans mean the same (comments and layout aside)."""
        return not self.changed and not self.items


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, ast.StringLit):
        return format_string(value)
    if isinstance(value, (ast.ScalarType, ast.ListType, ast.RecordType)):
        return format_type(value)
    if isinstance(value, ast.Loop):
        return format_loop(value)
    if isinstance(value, ast.Call):
        return format_call(value)
    if isinstance(value, tuple):
        return ", ".join(i.name for i in value) if value else None
    return format_expr(value)


_STEP_FIELDS = ("intent", "output", "after", "loop", "condition", "call")


def _step_changes(old: ast.Step, new: ast.Step) -> tuple[tuple[FieldChange, ...], tuple[ActionLine, ...]]:
    changes = []
    for name in _STEP_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            changes.append(FieldChange(name, _text(a), _text(b)))
    lines: tuple[ActionLine, ...] = ()
    old_actions = [format_action(a) for a in old.actions or ()]
    new_actions = [format_action(a) for a in new.actions or ()]
    if old_actions != new_actions or (old.actions is None) != (new.actions is None):
        lines = _action_lines(old_actions, new_actions)
        changes.append(
            FieldChange(
                "actions",
                _count_actions(old_actions) if old.actions is not None else None,
                _count_actions(new_actions) if new.actions is not None else None,
            )
        )
    return tuple(changes), lines


def _count_actions(actions: list[str]) -> str:
    return f"{len(actions)} action{'' if len(actions) == 1 else 's'}"


def _action_lines(old: list[str], new: list[str]) -> tuple[ActionLine, ...]:
    """A sequence diff of two lists of lines: unchanged lines as context, changed ones as ``-`` then ``+``."""
    out: list[ActionLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            out += [ActionLine(" ", t) for t in old[i1:i2]]
        else:
            out += [ActionLine("-", t) for t in old[i1:i2]] + [ActionLine("+", t) for t in new[j1:j2]]
    return tuple(out)


def _same_step(a: ast.Step, b: ast.Step) -> bool:
    if a == b:
        return True
    if any(getattr(a, f) != getattr(b, f) for f in _STEP_FIELDS):
        return False
    if (a.actions is None) != (b.actions is None):
        return False
    return [format_action(x) for x in a.actions or ()] == [format_action(x) for x in b.actions or ()]


def without_comments(node: ast.Step | ast.Define) -> ast.Step | ast.Define:
    """The step or procedure without its comments or its actions' comments (they are never changes)."""
    actions = node.actions
    if actions is not None:
        actions = tuple(a.model_copy(update={"comments": (), "trailing": None}) for a in actions)
    return node.model_copy(update={"comments": (), "trailing": None, "actions": actions})


def _items(old: ast.Plan, new: ast.Plan) -> list[ItemChange]:
    """Changes outside the steps, in the order title, goal, uses, sites, inputs, procedures."""
    changes = []
    if old.title != new.title:
        changes.append(ItemChange("title", "plan", "~", format_string(old.title), format_string(new.title)))
    if old.goal != new.goal:
        op = "+" if old.goal is None else "-" if new.goal is None else "~"
        shown = [f"goal {_text(g)}" if g is not None else None for g in (old.goal, new.goal)]
        changes.append(ItemChange("goal", "goal", op, *shown))
    groups = (
        ("use", lambda u: u.module, format_use, "uses"),
        ("site", lambda s: s.name.name, format_site, "sites"),
        ("input", lambda i: i.name.name, format_input, "inputs"),
        ("procedure", lambda d: d.name.name, lambda d: "\n".join(format_define(without_comments(d))), "defines"),
    )  # fmt: skip
    for kind, key, show, attr in groups:
        a = {key(x): show(x) for x in getattr(old, attr)}
        b = {key(x): show(x) for x in getattr(new, attr)}
        for name in [*a, *(n for n in b if n not in a)]:
            if name not in b:
                changes.append(ItemChange(kind, name, "-", a[name], None))  # type: ignore[arg-type]
            elif name not in a:
                changes.append(ItemChange(kind, name, "+", None, b[name]))  # type: ignore[arg-type]
            elif a[name] != b[name]:
                lines = _action_lines(a[name].split("\n"), b[name].split("\n")) if kind == "procedure" else ()
                changes.append(ItemChange(kind, name, "~", a[name], b[name], lines))  # type: ignore[arg-type]
    return changes


def _longest_increasing(seq: list[int]) -> set[int]:
    """The values of one longest strictly increasing subsequence (patience sorting, O(n log n))."""
    tails: list[int] = []  # index into seq of the smallest tail of each length
    parent: list[int | None] = [None] * len(seq)
    for i, v in enumerate(seq):
        k = _bisect_tails(seq, tails, v)
        if k > 0:
            parent[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
        else:
            tails[k] = i
    out: set[int] = set()
    i = tails[-1] if tails else None
    while i is not None:
        out.add(seq[i])
        i = parent[i]
    return out


def _bisect_tails(seq: list[int], tails: list[int], v: int) -> int:
    lo, hi = 0, len(tails)
    while lo < hi:
        mid = (lo + hi) // 2
        if seq[tails[mid]] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


def diff_plans(old: ast.Plan, new: ast.Plan) -> PlanDiff:
    """The step-level semantic diff from ``old`` to ``new``.

    A kept step is *moved* when it is not on the longest run of steps that keep
    their relative order (so swapping two steps moves one of them, not the rest).
    A repeated step id (PA202) counts once, at its first step, as in the graph.
    """
    old_steps = _unique_steps(old.steps)
    new_steps = list(_unique_steps(new.steps).values())
    old_order = list(old_steps)
    old_index = {name: i for i, name in enumerate(old_order)}
    old_previous = dict(zip(old_order, [None, *old_order], strict=False))
    new_ids = {s.id.name for s in new_steps}
    stable_indices = _longest_increasing([old_index[s.id.name] for s in new_steps if s.id.name in old_index])
    removed_after: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for name in old_order:
        if name in new_ids:
            anchor = name
        else:
            removed_after.setdefault(anchor, []).append(name)

    edits: list[Edit] = [Remove(old_steps[n]) for n in removed_after.get(None, [])]
    followers: dict[str, str | None] = {}
    previous: str | None = None
    for step in new_steps:
        name = step.id.name
        if name not in old_steps:
            edits.append(Insert(step, previous))
        else:
            same = _same_step(old_steps[name], step)
            changes, lines = ((), ()) if same else _step_changes(old_steps[name], step)
            if old_index[name] not in stable_indices:
                changes = (
                    *changes,
                    FieldChange(
                        "position", f"after {old_previous[name] or 'the start'}", f"after {previous or 'the start'}"
                    ),
                )
            if changes:
                edits.append(Update(old_steps[name], step, changes, lines, previous))
            else:
                edits.append(Keep(step))
                if old_previous[name] != previous:
                    followers[name] = previous
            edits += [Remove(old_steps[n]) for n in removed_after.get(name, [])]
        previous = name
    return PlanDiff(
        old, new, tuple(edits), tuple(_items(old, new)), followers, _anchors(new_steps, old_index, stable_indices)
    )


def _unique_steps(steps: tuple[ast.Step, ...]) -> dict[str, ast.Step]:
    """Steps by id, in order; a repeated id keeps its first step."""
    found: dict[str, ast.Step] = {}
    for step in steps:
        found.setdefault(step.id.name, step)
    return found


def _anchors(
    new_steps: list[ast.Step], old_index: dict[str, int], stable: set[int]
) -> dict[str, tuple[str | None, str | None]]:
    """For each inserted or moved step, the nearest steps before and after it that keep their place."""
    names = [s.id.name for s in new_steps]
    is_stable = [n in old_index and old_index[n] in stable for n in names]
    before: list[str | None] = []
    last: str | None = None
    for name, keeps in zip(names, is_stable, strict=True):
        before.append(last)
        if keeps:
            last = name
    anchors: dict[str, tuple[str | None, str | None]] = {}
    last = None
    for i in range(len(names) - 1, -1, -1):
        if is_stable[i]:
            last = names[i]
        else:
            anchors[names[i]] = (before[i], last)
    return anchors
