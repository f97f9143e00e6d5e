"""PA402: steps after an unconditional answer."""

from collections.abc import Iterator

import networkx as nx

from ...syntax import ast
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class UnreachableAfterAnswer(Rule):
    """What: a step (or an action) comes after an `answer` that always runs.

    Why: `answer` finishes the plan; what follows it never runs.

    Example:
        step report "Report":
            answer "done"
        step cleanup "Log out"

    Use instead: move the step before the answer, or put the answer under an `if`.
    """

    code = "PA402"
    name = "unreachable-after-answer"
    severity = "warning"

    def check(self, analysis) -> Iterator[Diagnostic]:
        g = analysis.dependency_graph
        steps = analysis.plan.steps
        for step in steps:
            actions = step.actions or ()
            index = next((i for i, a in enumerate(actions) if isinstance(a, ast.Answer)), None)
            if index is None:
                continue
            for action in actions[index + 1 :]:
                yield Diagnostic(
                    code=self.code, severity=self.severity, message="action after `answer` never runs", span=action.span
                )
            if step.condition is not None or step.loop is not None:
                continue
            later = nx.descendants(g, step.id.name) if step.id.name in g else set()
            for other in steps:
                if other.id.name in later:
                    yield Diagnostic(
                        code=self.code,
                        severity=self.severity,
                        span=other.id.span,
                        message=f"step `{other.id.name}` runs after `{step.id.name}` answers, so it never runs",
                    )
