"""planact: web-agent plans as typed, checkable programs (Plan-and-Act)."""

from .syntax.ast import Plan
from .syntax.diagnostics import Diagnostic, PlanError
from .syntax.parser import parse, parse_bytes

__all__ = ["FLOORS", "Diagnostic", "Plan", "PlanError", "parse", "parse_bytes"]

# The floors of the house, lowest first.  A module imports from its own floor and the floors below it,
# never from one above (tests/test_floors.py checks every import, those inside functions included);
# docs/architecture.md says what each floor is for.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("syntax", "scrub", "demo"),  # the language's text and trees; masking secrets; the bundled shop
    ("lang",),  # what the language means: types, dependencies, origins, modules, patterns, values
    ("check",),  # the linter: analysis and its rules
    ("graph",),  # a plan as a step graph: diff and patch
    ("models",),  # language models and their prompts
    ("browser",),  # Chromium through Playwright: sessions, targets, actions, observations
    ("run",),  # the executor, the planner, grounding, run records and their events
    ("report",),  # what a run record looks like to a person
    ("train",),  # fine-tuning a model
    ("harness",),  # benchmarks: suites, agents, the episode runner, Ray
    ("synth",),  # synthetic training data, made by running benchmark episodes
    ("install", "lsp", "mcpserver"),  # what planact installs; the language server; the MCP server
    ("cli",),  # the `planact` command
)
__version__ = "0.1.0"
