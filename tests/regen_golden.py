"""Regenerate the expected outputs of the golden tests: `python tests/regen_golden.py [SECTION...]`.

Expected files are reviewed in the diff, never hand-edited.
"""

from __future__ import annotations

import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def lint_output(path: Path) -> str:
    """What `planact lint --no-color` prints for one golden plan, with paths relative to golden/."""
    from planact.check import check_plan
    from planact.cli import read_plan_file
    from planact.syntax.diagnostics import render, summary_line

    rel = path.relative_to(GOLDEN.parent).as_posix()
    source = read_plan_file(str(path))
    if source.plan is not None:
        source.diagnostics = check_plan(source.plan, source=source.text, path=str(path))
    blocks = [render(d.located(rel), source.text) for d in source.diagnostics]
    return "\n\n".join(blocks + [summary_line(source.diagnostics, 1)]) + "\n"


def regen_lint() -> None:
    for plan in sorted((GOLDEN / "lint").glob("*.pa")):
        plan.with_suffix(".out").write_text(lint_output(plan), encoding="utf-8")
        print(f"wrote {plan.with_suffix('.out').relative_to(GOLDEN.parent)}")


def diff_output(old: Path) -> str:
    """What `planact diff --no-color OLD NEW` prints for a golden pair."""
    from planact.graph import diff_plans
    from planact.graph.render_diff import render_text
    from planact.syntax.parser import parse

    new = old.with_name(old.name.replace(".old.pa", ".new.pa"))
    return render_text(diff_plans(parse(old.read_text()), parse(new.read_text())))


def regen_diff() -> None:
    for old in sorted((GOLDEN / "diff").glob("*.old.pa")):
        out = old.with_name(old.name.replace(".old.pa", ".out"))
        out.write_text(diff_output(old), encoding="utf-8")
        print(f"wrote {out.relative_to(GOLDEN.parent)}")


SECTIONS = {"lint": regen_lint, "diff": regen_diff}


if __name__ == "__main__":
    for name in sys.argv[1:] or list(SECTIONS):
        SECTIONS[name]()
