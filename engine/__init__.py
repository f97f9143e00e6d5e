"""planact: web-agent plans as typed, checkable programs (Plan-and-Act)."""

from .syntax.ast import Plan
from .syntax.diagnostics import Diagnostic, PlanError
from .syntax.parser import parse, parse_bytes

__all__ = ["Diagnostic", "Plan", "PlanError", "parse", "parse_bytes"]
__version__ = "0.1.0"
