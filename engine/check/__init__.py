"""Checks: name resolution, types and lint rules with stable codes.

``check_plan`` runs the analysis pass and every lint rule, honours inline
``# noqa: CODE`` suppressions and returns the diagnostics in source order.
"""

from __future__ import annotations

import re

from ..lang.modules import Reader, read_from_disk
from ..syntax import ast
from ..syntax.comments import comments_in
from ..syntax.diagnostics import Diagnostic, PlanError
from ..syntax.parser import parse
from .analysis import Analysis
from .rule import Rule, all_rules

__all__ = ["Analysis", "Rule", "all_rules", "check_plan", "lint_text"]

_NOQA = re.compile(r"noqa(?::\s*(?P<codes>PA\d{3}(?:[\s,]+PA\d{3})*))?", re.IGNORECASE)


def _suppressions(plan: ast.Plan, source: str | None) -> dict[int, set[str] | None]:
    """line → codes suppressed there (None: every code)."""
    found: dict[int, set[str] | None] = {}
    if source is not None:
        comments = [(line, text) for line, _, text in comments_in(source)]
    else:
        comments = [(n.span.line, n.trailing) for n in _line_nodes(plan) if n.trailing]
    for line, text in comments:
        m = _NOQA.search(text)
        if m:
            codes = m.group("codes")
            found[line] = None if codes is None else set(re.findall(r"PA\d{3}", codes.upper()))
    return found


def _line_nodes(plan: ast.Plan):
    for group in (plan.uses, plan.sites, plan.inputs, plan.defines, plan.steps):
        for item in group:
            yield item
            yield from getattr(item, "actions", None) or ()


def check_plan(
    plan: ast.Plan,
    *,
    source: str | None = None,
    path: str | None = None,
    select: set[str] | None = None,
    read: Reader = read_from_disk,
) -> list[Diagnostic]:
    """Every lint finding on a parsed plan, in source order, with ``# noqa`` applied.

    ``source`` (the text the plan was parsed from) locates ``noqa`` comments; ``path``
    locates files imported with ``use "file.pa"`` and ``read`` gives their text (from
    disk unless told otherwise); ``select`` limits the codes run.
    """
    analysis = Analysis(plan, path=path, read=read).run()
    found: list[Diagnostic] = []
    for code, rule in all_rules().items():
        if rule.origin == "lint" and (select is None or code in select):
            found.extend(rule().check(analysis))
    noqa = _suppressions(plan, source)
    kept = []
    for d in found:
        codes = noqa.get(d.span.line, set())
        if codes is None or d.code in codes:
            continue
        kept.append(d.located(path) if path else d)
    return sorted(kept, key=lambda d: d.sort_key)


def lint_text(
    text: str, path: str | None = None, *, read: Reader = read_from_disk
) -> tuple[ast.Plan | None, list[Diagnostic]]:
    """Parse and check plan text: the plan (None if it does not parse) and its diagnostics
    (``read`` gives the text of the files it imports)."""
    try:
        plan = parse(text)
    except PlanError as err:
        return None, [d.located(path) if path else d for d in err.diagnostics]
    return plan, check_plan(plan, source=text, path=path, read=read)
