"""Which of `planact setup`'s components this machine has, and whether a test may skip for want of one.

On a machine where `planact setup` completed (or with PLANACT_REQUIRE_MODELS=1, as CI sets it), a test
that skips for want of a component fails instead (conftest.py turns the skip into a failure): a set-up
machine runs the whole suite. A skip whose reason starts with NOT_APPLICABLE is about this machine having
something extra (vLLM, say), and stays a skip.
"""

import os

import pytest

from planact.install import COMPONENTS, missing_packages, setup_complete

STRICT = os.environ.get("PLANACT_REQUIRE_MODELS") == "1" or setup_complete()
NOT_APPLICABLE = "not applicable here:"


def needs(name: str) -> pytest.MarkDecorator:
    """Skip the test (module, with pytestmark) unless the component's packages are installed."""
    (component,) = [c for c in COMPONENTS if c.name == name]
    absent = missing_packages(component)
    return pytest.mark.skipif(
        bool(absent), reason=f"no {', '.join(absent)}: run `planact setup --only {name}` ({component.summary})"
    )


def _have_browser() -> bool:
    from planact.browser.launch import BrowserNotFound, find_browser

    try:
        find_browser()
    except BrowserNotFound:
        return False
    return True


HAVE_BROWSER = _have_browser()
needs_browser = pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup --only browser`")
