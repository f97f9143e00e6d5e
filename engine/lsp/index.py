"""One linted version of a document and the names in it.

A :class:`Snapshot` is what the server knows about a document at one version: the plan
(None when the text does not parse), every diagnostic the linter gives, and -- built on
first use -- a :class:`PlanIndex`: where each name is defined and where it is read.

Names live in a few spaces, the ones the checker resolves:

* steps, inputs and the built-in ``page`` share one space (an input wins a clash);
* a loop variable belongs to its step, a parameter to its procedure;
* sites have their own space (``goto shop "/"``);
* procedures are those the plan defines, then those of its ``use`` modules in order
  (``use web`` is the stdlib's ``web.pa``, ``use "lib.pa"`` a file beside the plan).

A name is keyed by ``(kind, name, owner)``; the owner of a procedure is the file that
defines it, so calls in several open documents resolve to one definition.

Imported files are read through the server's :data:`~planact.lang.modules.Reader`
(open documents first, the disk otherwise); a snapshot records every file its lint read
(:class:`Sources`), so the server knows which documents to lint again when one changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from ..check import lint_text
from ..check.analysis import Analysis
from ..lang.deps import action_refs, expr_refs, step_refs
from ..lang.modules import Reader, load_module, read_from_disk
from ..syntax import ast
from ..syntax.diagnostics import Diagnostic

Key = tuple[str, str, str]  # (kind, name, owner)


@dataclass(frozen=True)
class Place:
    """Where a name is written: a file (None: the document itself) and the span of the name."""

    path: str | None
    span: ast.Span


@dataclass(frozen=True)
class Occurrence:
    """A name written in the document: its exact span, what it names, and whether it defines it."""

    span: ast.Span
    key: Key
    definition: bool = False


@dataclass(frozen=True)
class Module:
    """A module a ``use`` line imports: its file (None: not found) and its plan (None: unreadable)."""

    use: ast.Use
    path: str | None
    plan: ast.Plan | None


def stdlib_path(name: str) -> Path | None:
    """The file of stdlib module ``name``, if there is one."""
    resource = resources.files("planact").joinpath(f"stdlib/{name}.pa")
    return Path(str(resource)).resolve() if resource.is_file() else None


def module_path(use: ast.Use, base: Path | None) -> Path | None:
    """The file a ``use`` line names (not checked for existence for a path import)."""
    if not use.is_path:
        return stdlib_path(use.module)
    return None if base is None else (base / use.module).resolve()


@dataclass
class Symbol:
    """What a key names: its kind, the node that defines it and where that is written."""

    key: Key
    node: object
    place: Place | None


@dataclass
class PlanIndex:
    """The names of one parsed plan: symbols by key and every occurrence, in source order."""

    plan: ast.Plan
    lines: list[str]
    path: str | None
    owner: str  # how this document names itself as a procedures' owner (its path, or its URI)
    read: Reader = field(default=read_from_disk, repr=False)  # the text of an imported file
    symbols: dict[Key, Symbol] = field(default_factory=dict)
    occurrences: list[Occurrence] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)
    targets: list[tuple[ast.Span, str]] = field(default_factory=list)  # (span of the kind word, kind)
    actions: list[tuple[ast.Span, ast.Action]] = field(default_factory=list)  # (span of the keyword, action)

    @classmethod
    def build(
        cls, plan: ast.Plan, lines: list[str], path: str | None, owner: str, read: Reader = read_from_disk
    ) -> PlanIndex:
        index = cls(plan, lines, path, owner, read)
        index._collect()
        return index

    # --------------------------------------------------------------- building

    def _name_span(self, span: ast.Span, name: str) -> ast.Span:
        """The span of ``name`` where it is written inside ``span`` (a ref's span may cover ``{name.field}``)."""
        if not span or span.line > len(self.lines):
            return span
        text = self.lines[span.line - 1]
        stop = span.end_column - 1 if span.end_line == span.line else len(text)
        at = text.find(name, max(span.column - 1, 0), max(stop, 0))
        if at < 0:
            return span
        return ast.Span(span.line, at + 1, span.line, at + 1 + len(name))

    def _define(self, key: Key, node: object, ident: ast.Ident) -> None:
        if key not in self.symbols:  # the first definition is the one (a later one is PA202)
            self.symbols[key] = Symbol(key, node, Place(None, ident.span))
        self.occurrences.append(Occurrence(ident.span, key, definition=True))

    def _use(self, key: Key | None, span: ast.Span) -> None:
        if key is not None and key in self.symbols:
            self.occurrences.append(Occurrence(span, key))

    def _procedure_key(self, name: str) -> Key | None:
        for owner in [self.owner] + [m.path for m in self.modules if m.path]:
            key = ("procedure", name, owner)
            if key in self.symbols:
                return key
        return None

    def _collect(self) -> None:
        plan = self.plan
        base = Path(self.path).parent if self.path else None
        for use in plan.uses:
            path = module_path(use, base)
            loaded = load_module(use.module, use.is_path, base, self.read) if path is not None else None
            module = Module(use, str(path) if path else None, loaded.plan if loaded else None)
            self.modules.append(module)
            key: Key = ("module", use.module, module.path or "")
            self.symbols.setdefault(key, Symbol(key, module, Place(module.path, ast.Span(1, 1, 1, 1))))
            self._use(key, self._name_span(use.span, use.module))
        for site in plan.sites:
            self._define(("site", site.name.name, ""), site, site.name)
        for inp in plan.inputs:
            self._define(("input", inp.name.name, ""), inp, inp.name)
        for define in plan.defines:
            self._define(("procedure", define.name.name, self.owner), define, define.name)
        for module in self.modules:
            for define in module.plan.defines if module.plan else ():
                key = ("procedure", define.name.name, module.path or "")
                self.symbols.setdefault(key, Symbol(key, define, Place(module.path, define.name.span)))
        for step in plan.steps:
            if ("input", step.id.name, "") in self.symbols:
                self.occurrences.append(Occurrence(step.id.span, ("step", step.id.name, ""), definition=True))
                self.symbols.setdefault(
                    ("step", step.id.name, ""), Symbol(("step", step.id.name, ""), step, Place(None, step.id.span))
                )
                continue
            self._define(("step", step.id.name, ""), step, step.id)
        self.symbols.setdefault(("builtin", "page", ""), Symbol(("builtin", "page", ""), None, None))
        for define in plan.defines:
            self._collect_define(define)
        for step in plan.steps:
            self._collect_step(step)
        self.occurrences.sort(key=lambda o: (o.span.line, o.span.column))

    def _global_key(self, name: str) -> Key | None:
        for kind in ("input", "step", "builtin"):
            if (kind, name, "") in self.symbols:
                return (kind, name, "")
        return None

    def _collect_actions(self, actions: tuple[ast.Action, ...] | None) -> None:
        for action in actions or ():
            self.actions.append((action.span, action))
            for target in action.targets():
                t: ast.Target | None = target
                while t is not None:
                    self.targets.append((t.span, t.kind))
                    t = t.within
            if isinstance(action, ast.Goto) and action.site is not None:
                self._use(("site", action.site.name, ""), action.site.span)

    def _collect_define(self, define: ast.Define) -> None:
        scope = define.name.name
        for p in define.params:
            self._define(("param", p.name.name, scope), p, p.name)
        refs = list(define.intent.refs) if define.intent else []
        for action in define.actions or ():
            refs.extend(action_refs(action))
        for ref in refs:
            key: Key | None = ("param", ref.name, scope)
            if key not in self.symbols:
                key = ("builtin", ref.name, "") if ref.name == "page" else None
            self._use(key, self._name_span(ref.span, ref.name))
        self._collect_actions(define.actions)

    def _collect_step(self, step: ast.Step) -> None:
        me = step.id.name
        loop = step.loop.var.name if step.loop else None
        if step.loop is not None:
            self._define(("loop", loop, me), step.loop, step.loop.var)  # type: ignore[arg-type]
        for ident in step.after:
            self._use(("step", ident.name, ""), ident.span)
        outside = {id(r) for r in expr_refs(step.loop.iterable)} if step.loop else set()  # read before the loop
        for ref in step_refs(step):
            inside = ref.name == loop and id(ref) not in outside
            key = ("loop", ref.name, me) if inside else self._global_key(ref.name)
            self._use(key, self._name_span(ref.span, ref.name))
        if step.call is not None:
            self._use(self._procedure_key(step.call.name.name), step.call.name.span)
        self._collect_actions(step.actions)

    # ---------------------------------------------------------------- queries

    def at(self, line: int, column: int) -> Occurrence | None:
        """The name written at a 1-based position (the character under the cursor, or just before it)."""
        for o in self.occurrences:
            if o.span.line == line and o.span.column <= column <= o.span.end_column:
                return o
        return None

    def references(self, key: Key) -> list[Occurrence]:
        """Every occurrence of a key in this document, its definition included."""
        return [o for o in self.occurrences if o.key == key]

    def resolve(self, line: int, column: int) -> Key | None:
        """What the name at a position refers to."""
        found = self.at(line, column)
        return found.key if found else None

    def step_at(self, line: int) -> ast.Step | ast.Define | None:
        """The step or procedure whose lines hold ``line``."""
        for node in (*self.plan.steps, *self.plan.defines):
            if node.span.line <= line <= max(node.span.end_line, node.span.line):
                return node
        return None

    def procedures(self) -> dict[str, Symbol]:
        """Every procedure a call in this plan can reach, by name (the plan's own first, then each module's)."""
        found: dict[str, Symbol] = {}
        for owner in [self.owner] + [m.path for m in self.modules if m.path]:
            for (kind, name, o), sym in self.symbols.items():
                if kind == "procedure" and o == owner:
                    found.setdefault(name, sym)
        return found


class Sources:
    """A reader that remembers what it read: each file's path and the text it first gave
    (None: the file could not be read).  One lint reads through one of these."""

    def __init__(self, read: Reader = read_from_disk) -> None:
        self.read = read
        self.texts: dict[str, str | None] = {}

    def __call__(self, path: Path) -> str:
        try:
            text = self.read(path)
        except (OSError, UnicodeDecodeError):
            self.texts.setdefault(str(path), None)
            raise
        self.texts.setdefault(str(path), text)
        return text


@dataclass
class Snapshot:
    """What the server knows about a document at one version."""

    uri: str
    version: int
    text: str
    path: str | None
    lines: list[str]
    plan: ast.Plan | None
    diagnostics: list[Diagnostic]
    sources: dict[str, str | None] = field(default_factory=dict)  # the imported files its lint read, and their text
    read: Reader = field(default=read_from_disk, repr=False, compare=False)  # for the imports of index and analysis

    @cached_property
    def index(self) -> PlanIndex | None:
        if self.plan is None:
            return None
        return PlanIndex.build(self.plan, self.lines, self.path, self.path or self.uri, self.read)

    @cached_property
    def analysis(self) -> Analysis | None:
        """The checker's model of the plan (names with their types), for hover."""
        if self.plan is None:
            return None
        return Analysis(self.plan, path=self.path, read=self.read).run()


def analyse(
    uri: str, version: int, text: str, lines: list[str], path: str | None, read: Reader = read_from_disk
) -> Snapshot:
    """Lint one version of a document (what the worker thread runs); never raises for bad text.

    Imported files are read with ``read``; the snapshot's ``sources`` says which, and what they held.
    """
    sources = Sources(read)
    try:
        plan, diagnostics = lint_text(text, path, read=sources)
    except RecursionError:
        plan, diagnostics = None, [Diagnostic(code="PA105", message="plan nested too deeply to check")]
    return Snapshot(uri, version, text, path, lines, plan, diagnostics, sources.texts, read)
