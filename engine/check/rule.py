"""Lint rules: one class per code, in one file per code, registered when defined.

A rule's docstring is its documentation (What / Why / Example / Use instead)
and is what ``planact lint --explain CODE`` prints.  ``origin`` says which
stage reports the code: most rules are ``lint`` rules whose :meth:`Rule.check`
reads the facts of an :class:`~.analysis.Analysis` and yields the rule's
findings; codes reported by the parser, the file reader or the patcher are
documented here too, so every code has one home.  A new rule is a new file in
``check/rules/``: :func:`all_rules` imports every module there.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Literal

from ..syntax.ast import Span
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

    def diagnostic(self, span: Span, message: str, help: str | None = None) -> Diagnostic:
        """A finding of this rule, with its code and severity."""
        return Diagnostic(code=self.code, severity=self.severity, message=message, span=span, help=help)

    @classmethod
    def explain(cls) -> str:
        """The rule's documentation, as ``--explain`` prints it."""
        return f"{cls.code} {cls.name} ({cls.severity}, reported by the {cls.origin})\n\n{inspect.getdoc(cls)}\n"


def all_rules() -> dict[str, type[Rule]]:
    """Every rule, by code (imports the rule modules on first use)."""
    if not getattr(all_rules, "_loaded", False):
        from . import rules

        for info in pkgutil.iter_modules(rules.__path__):
            importlib.import_module(f"{rules.__name__}.{info.name}")
        all_rules._loaded = True  # type: ignore[attr-defined]
    return dict(sorted(REGISTRY.items()))
