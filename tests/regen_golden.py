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


SECTIONS = {"lint": regen_lint}


if __name__ == "__main__":
    for name in sys.argv[1:] or list(SECTIONS):
        SECTIONS[name]()
