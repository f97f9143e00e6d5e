"""Golden diff tests: each pair in tests/golden/diff has its expected `planact diff` output.

Regenerate with `python tests/regen_golden.py diff` and review the diff.
"""

from pathlib import Path

import pytest
from click.testing import CliRunner
from regen_golden import GOLDEN, diff_output

from planact.cli import main

PAIRS = sorted((GOLDEN / "diff").glob("*.old.pa"))


@pytest.mark.parametrize("old", PAIRS, ids=[p.name.removesuffix(".old.pa") for p in PAIRS])
def test_diff_output_matches_golden(old: Path):
    expected = old.with_name(old.name.replace(".old.pa", ".out")).read_text(encoding="utf-8")
    assert diff_output(old) == expected
    new = old.with_name(old.name.replace(".old.pa", ".new.pa"))
    result = CliRunner().invoke(main, ["diff", "--no-color", str(old), str(new)])
    assert result.output == expected
    assert result.exit_code == (0 if expected == "No changes.\n" else 1)
