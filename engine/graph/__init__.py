"""The step graph (networkx), the semantic plan diff, and in-place patching of a live graph."""

from .build import PlanGraph, build_graph
from .diff import PlanDiff, diff_plans
from .patch import apply_patch

__all__ = ["PlanDiff", "PlanGraph", "apply_patch", "build_graph", "diff_plans"]
