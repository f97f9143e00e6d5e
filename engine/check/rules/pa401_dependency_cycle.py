"""PA401: dependency cycle."""

from collections.abc import Iterator

import networkx as nx

from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class DependencyCycle(Rule):
    """What: steps depend on each other in a circle, through `after` clauses or by reading
    each other's outputs (a step reading its own output is the smallest circle).

    Why: none of them could ever start.

    Example:
        step a "A" after b
        step b "B" after a

    Use instead: decide which runs first and drop the other dependency.
    """

    code = "PA401"
    name = "dependency-cycle"

    def check(self, analysis) -> Iterator[Diagnostic]:
        g = analysis.dependency_graph
        order = {s.id.name: i for i, s in enumerate(analysis.plan.steps)}
        for component in nx.strongly_connected_components(g):
            first = min(component, key=order.__getitem__)
            if len(component) == 1 and not g.has_edge(first, first):
                continue
            cycle = nx.find_cycle(g.subgraph(component), first)
            names = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
            # report at the dependency that closes the circle back to the earliest step
            u, v = cycle[-1]
            yield Diagnostic(code=self.code, message=f"dependency cycle: {names}", span=g.edges[u, v]["span"])
