"""PA202: duplicate name."""

from collections.abc import Iterator

from ...syntax import ast
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class DuplicateName(Rule):
    """What: two definitions share a name in one namespace: steps and inputs (they are both
    variables), sites, procedures, parameters of a procedure, fields of a record.

    Why: a reference or an `after` could not tell which one is meant, and the step graph is
    keyed by step id.

    Example:
        step search "Search for shoes"
        step search "Search for socks"

    Use instead: distinct ids: `search_shoes`, `search_socks`.
    """

    code = "PA202"
    name = "duplicate-name"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for imported in analysis.imports:
            for name, other in imported.taken:
                yield self.diagnostic(
                    imported.use.span,
                    f"procedure `{name}` of `{imported.use.module}` is also defined in {other or 'this plan'}",
                )
        for ident, what, namespace in _definitions(analysis.plan):
            if ident.name in namespace:
                kind, line = namespace[ident.name]
                where = f" on line {line}" if line else ""
                yield self.diagnostic(ident.span, f"duplicate name `{ident.name}`: already defined as {kind}{where}")
            else:
                namespace[ident.name] = (f"a {what}" if what[0] not in "aeiou" else f"an {what}", ident.span.line)
        for step in analysis.plan.steps:
            if step.loop is not None and step.loop.var.name in analysis.globals:
                yield self.diagnostic(step.loop.var.span, f"loop variable `{step.loop.var.name}` hides another name")


def _definitions(plan: ast.Plan) -> Iterator[tuple[ast.Ident, str, dict[str, tuple[str, int]]]]:
    """Every name the plan defines, what it names and its namespace (name -> what took it, on which line)."""
    variables = {"page": ("the built-in `page` (page.url, page.title)", 0)}  # steps and inputs
    sites: dict[str, tuple[str, int]] = {}
    for site in plan.sites:
        yield site.name, "site", sites
    for inp in plan.inputs:
        yield inp.name, "input", variables
        if isinstance(inp.type, ast.RecordType):
            fields: dict[str, tuple[str, int]] = {}
            for f in inp.type.fields:
                yield f.name, "field", fields
    for step in plan.steps:
        yield step.id, "step", variables
    procedures: dict[str, tuple[str, int]] = {}
    for define in plan.defines:
        yield define.name, "procedure", procedures
        params: dict[str, tuple[str, int]] = {}
        for p in define.params:
            yield p.name, "parameter", params
