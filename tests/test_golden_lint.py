"""Golden lint tests: each plan in tests/golden/lint has the expected output beside it.

Regenerate with `python tests/regen_golden.py lint` and review the diff.
"""

import re
from pathlib import Path

import pytest
from regen_golden import GOLDEN, lint_output

from planact.check import all_rules

CASES = sorted((GOLDEN / "lint").glob("*.pa"))


@pytest.mark.parametrize("plan", CASES, ids=[p.stem for p in CASES])
def test_lint_output_matches_golden(plan: Path):
    assert lint_output(plan) == plan.with_suffix(".out").read_text(encoding="utf-8")


def test_golden_files_cover_every_code_that_a_plan_can_trigger():
    seen = set()
    for out in (GOLDEN / "lint").glob("*.out"):
        seen |= set(re.findall(r": (PA\d{3}) ", out.read_text(encoding="utf-8")))
    # PA000 (unreadable file) is covered by the CLI tests, PA410 (patching a completed step) by the patch tests.
    expected = {code for code, rule in all_rules().items() if rule.origin in ("lint", "parser", "reader")} - {"PA000"}
    assert expected - seen == set()
