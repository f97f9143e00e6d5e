"""`planact setup-browser`: make sure a Chromium is available, installing one when none is found.

As root on a Debian-like system it installs the distribution's ``chromium``
package with apt-get; elsewhere it runs ``playwright install chromium``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from .launch import BrowserNotFound, find_browser


def ensure_browser(explicit: str | None = None) -> str:
    """The Chromium that planact will launch, installed first if there is none; raises BrowserNotFound."""
    try:
        choice = find_browser(explicit)
        return f"{choice.executable} ({choice.source})"
    except BrowserNotFound:
        if explicit:
            raise
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
    else:
        subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=False, timeout=900)
    choice = find_browser()
    return f"{choice.executable} ({choice.source}, just installed)"
