"""Diagnostics: one type for every finding, from the parser or a lint rule."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .ast import NO_SPAN, Span

Severity = Literal["error", "warning"]


class Diagnostic(BaseModel):
    """A finding about a plan: a stable code, a message and where it is."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity = "error"
    message: str
    span: Span = NO_SPAN
    help: str | None = None
    path: str | None = None

    def located(self, path: str) -> Diagnostic:
        """The same diagnostic, attributed to a file."""
        return self.model_copy(update={"path": path})

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.span.line, self.span.column, self.code)


class PlanError(Exception):
    """Raised where a plan cannot be turned into a tree or graph; carries its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(f"{d.code} {d.message}" for d in diagnostics))
        self.diagnostics = diagnostics
