import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from setup_state import NOT_APPLICABLE, STRICT  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a set-up machine (see setup_state.py) a test that skips for want of a component fails."""
    outcome = yield
    report = outcome.get_result()
    if not (STRICT and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    if reason.startswith(NOT_APPLICABLE):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped on a set-up machine (`planact setup` completed or PLANACT_REQUIRE_MODELS=1): {reason}\n"
        "run `planact setup --check` to see what is missing"
    )
