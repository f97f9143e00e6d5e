"""Which Chromium to launch, and how.

Search order: an explicit path (``--browser`` or the ``PLANACT_BROWSER``
environment variable), Playwright's own installed Chromium, then a system
Chromium (Debian's ``/usr/lib/chromium/chromium`` — the binary behind the
``/usr/bin/chromium`` wrapper script —, ``/usr/bin/chromium``,
``chromium-browser``, Google Chrome).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "PLANACT_BROWSER"

FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
)  # fmt: skip

SYSTEM_CANDIDATES = (
    "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)  # fmt: skip


class BrowserNotFound(RuntimeError):
    """No Chromium could be found; the message says how to get one."""


@dataclass(frozen=True)
class BrowserChoice:
    """The executable to launch (None: Playwright's bundled browser) and where the choice came from."""

    executable: str | None
    source: str
    args: tuple[str, ...] = field(default=FLAGS)


def _playwright_chromium() -> str | None:
    """The path of Playwright's own Chromium, if `playwright install chromium` put one on this machine."""
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    if not root.is_dir():
        return None
    for pattern in (
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chromium-*/chrome-win*/chrome.exe",
    ):
        for candidate in sorted(root.glob(pattern), reverse=True):
            if os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def find_browser(explicit: str | None = None) -> BrowserChoice:
    """Pick the Chromium to launch, in the documented search order."""
    chosen = explicit or os.environ.get(ENV_VAR)
    if chosen:
        path = shutil.which(chosen) or chosen
        if not os.access(path, os.X_OK):
            raise BrowserNotFound(
                f"browser {chosen!r} (from {'--browser' if explicit else ENV_VAR}) is not an executable file"
            )
        return BrowserChoice(path, "--browser" if explicit else ENV_VAR)
    bundled = _playwright_chromium()
    if bundled:
        return BrowserChoice(bundled, "playwright")
    for candidate in SYSTEM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return BrowserChoice(candidate, "system")
    raise BrowserNotFound(
        "no Chromium found: install one (`playwright install chromium`, or on Debian/Ubuntu "
        f"`apt-get install chromium`), or point {ENV_VAR} / --browser at a Chromium executable"
    )
