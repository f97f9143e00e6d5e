"""Lint rules: one class per code, registered when defined.

A rule's docstring is its documentation (What / Why / Example / Use instead)
and is what ``planact lint --explain CODE`` prints.  ``origin`` says which
stage reports the code: most rules are ``lint`` rules with a :meth:`Rule.check`
method; codes reported by the parser, the file reader or the patcher are
documented here too, so every code has one home.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Literal

from ..syntax.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from .analysis import Analysis

_CODE = re.compile(r"PA\d{3}\Z")
REGISTRY: dict[str, type[Rule]] = {}


class Rule:
    """Base class of lint rules."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = "error"
    origin: ClassVar[Literal["lint", "parser", "reader", "patch"]] = "lint"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract"):
            return
        if not _CODE.match(getattr(cls, "code", "")):
            raise TypeError(f"{cls.__name__}: `code` must look like PA123")
        if cls.code in REGISTRY:
            raise TypeError(f"{cls.__name__}: code {cls.code} is already taken by {REGISTRY[cls.code].__name__}")
        doc = inspect.getdoc(cls) or ""
        if not all(part in doc for part in ("What:", "Why:", "Example:")):
            raise TypeError(f"{cls.__name__}: the docstring needs What:, Why: and Example: sections")
        if cls.origin == "lint" and cls.check is Rule.check:
            raise TypeError(f"{cls.__name__}: a lint rule implements check()")
        REGISTRY[cls.code] = cls

    def check(self, analysis: Analysis) -> Iterator[Diagnostic]:
        """The rule's findings on one analysed plan."""
        raise NotImplementedError

    def diagnostic(self, finding) -> Diagnostic:  # noqa: ANN001 - a Finding
        return Diagnostic(
            code=self.code, severity=self.severity, message=finding.message, span=finding.span, help=finding.help
        )

    @classmethod
    def explain(cls) -> str:
        """The rule's documentation, as ``--explain`` prints it."""
        return f"{cls.code} {cls.name} ({cls.severity}, reported by the {cls.origin})\n\n{inspect.getdoc(cls)}\n"


class FindingRule(Rule):
    """A rule whose findings the analysis pass records under its code."""

    abstract = True

    def check(self, analysis: Analysis) -> Iterator[Diagnostic]:
        for finding in analysis.findings.get(self.code, ()):
            yield self.diagnostic(finding)


def all_rules() -> dict[str, type[Rule]]:
    """Every rule, by code (imports the rule modules on first use)."""
    if not getattr(all_rules, "_loaded", False):
        from . import rules

        for info in pkgutil.iter_modules(rules.__path__):
            importlib.import_module(f"{rules.__name__}.{info.name}")
        all_rules._loaded = True  # type: ignore[attr-defined]
    return dict(sorted(REGISTRY.items()))
