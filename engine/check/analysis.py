"""The facts about a plan that lint rules read.

One walk resolves names (inputs, step outputs, loop variables, procedure
parameters, the built-in ``page``), loads the modules the plan imports and
infers the type of every expression.  It judges nothing: it records what it
met, in the order it met it, and each rule in ``check/rules/`` decides which
facts are problems and words them:

* :attr:`Analysis.imports`: each ``use`` line and what it gave (:class:`Import`);
* :attr:`Analysis.reads`: each name read and what it resolved to (:class:`Read`);
* :attr:`Analysis.uses`: each place that wants a value of some type, with the type
  the value there has (:class:`Use`);
* :attr:`Analysis.calls`: each call of a procedure and how its arguments bind
  (:class:`CallSite`);
* the names in scope (:attr:`Analysis.globals`), the procedures, the dependencies
  between steps and their graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import networkx as nx

from ..lang import types as ty
from ..lang.deps import Dependency, plan_dependencies
from ..lang.modules import Module, Reader, import_cycle, load_module, read_from_disk
from ..syntax import ast
from ..syntax.visitor import ExprVisitor


@dataclass
class Symbol:
    """A name in scope: what it is and its type (``has_value`` is False for a step without output)."""

    kind: str  # input | step | loop | param | builtin
    type: ty.T
    node: object = None
    has_value: bool = True


@dataclass
class Procedure:
    define: ast.Define
    module: str | None  # None: defined in this plan


@dataclass(frozen=True)
class Import:
    """A ``use`` line and what it gave: the module (its ``error`` set when it could not be
    loaded), the chain of files that leads back to this one (empty: no import cycle), and
    each procedure of the module whose name an earlier definition took, with the module of
    that one (None: this plan)."""

    use: ast.Use
    module: Module
    cycle: tuple[str, ...] = ()
    taken: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, eq=False)
class Read:
    """A name read (a reference, or an interpolation in a string) and what it resolved to."""

    ref: ast.Ref
    symbol: Symbol | None  # None: no such name in scope
    scope: dict[str, Symbol]  # the names in scope where it is read
    type: ty.T  # the type of the value read, fields followed (None: unknown, or not readable)
    wanted: ty.T = None  # the type its reader needs, where the expression around it says
    in_text: bool = False  # interpolated into a string


Place = Literal[
    "items",  # the items of a list literal (``parts``: their types)
    "operand",  # an operand of `and`, `or`, `not` (``owner``: the operator)
    "comparison",  # a comparison (``parts``: the types of its two sides)
    "default",  # an input's default (``owner``: the input)
    "loop",  # the list a `for` runs over
    "condition",  # a step's `if`
    "goto",  # a goto's URL
    "tab",  # the URL of `tab open`
    "fill",  # the value of `fill` or `select` (``owner``: the action)
    "assert",  # the condition of `assert`
    "answer",  # the value of `answer`
    "result",  # what a called procedure returns, for the step's `-> TYPE` (``owner``: the CallSite)
    "output",  # what an action block's last `extract` gives, for its `-> TYPE` (``owner``: that extract or None)
]


@dataclass(frozen=True, eq=False)
class Use:
    """A place where the language wants a value of some type, and the value there.

    ``value`` is the expression (for ``result`` and ``output``, the declared type), ``given``
    the type it has (None: unknown) and ``wanted`` the type the place needs where one type
    does (None where the rule decides, as for a `fill` value).
    """

    place: Place
    value: Any
    given: ty.T
    wanted: ty.T = None
    owner: Any = None
    parts: tuple[ty.T, ...] = ()


@dataclass(frozen=True)
class Binding:
    """One argument of a call: the parameter it gives a value to, or the reason it gives none
    (``after-keyword``, ``extra``, ``unknown``, ``twice``); ``type`` is a bound argument's type."""

    arg: ast.Arg
    param: str | None
    problem: str | None = None
    type: ty.T = None


@dataclass(frozen=True, eq=False)
class CallSite:
    """A step's call of a procedure (None: no procedure has that name) and how its arguments bind."""

    step: ast.Step
    procedure: Procedure | None
    bindings: tuple[Binding, ...] = ()

    @property
    def call(self) -> ast.Call:
        assert self.step.call is not None
        return self.step.call


@dataclass
class Analysis:
    """Everything the rules need to know about one plan (complete once :meth:`run` returns)."""

    plan: ast.Plan
    path: str | None = None
    read: Reader = field(default=read_from_disk, repr=False)  # how an imported file's text is read
    procedures: dict[str, Procedure] = field(default_factory=dict)
    modules: list[Module] = field(default_factory=list)  # the modules whose procedures the plan can call
    imports: list[Import] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # names of inputs/steps that something reads
    used_procedures: set[str] = field(default_factory=set)
    _types: dict[int, ty.T] = field(default_factory=dict, repr=False)  # id(expression) -> its type
    _wanted: dict[int, ty.T] = field(default_factory=dict, repr=False)  # id(expression) -> the type its reader needs

    def type_of(self, e: object) -> ty.T:
        """The type inferred for an expression of the plan (None: unknown, or not met)."""
        return self._types.get(id(e))

    # ------------------------------------------------------------------ scopes

    @cached_property
    def globals(self) -> dict[str, Symbol]:
        scope: dict[str, Symbol] = {"page": Symbol("builtin", ty.PAGE)}
        for inp in self.plan.inputs:
            scope.setdefault(inp.name.name, Symbol("input", ty.from_node(inp.type), inp))
        for step in self.plan.steps:
            out = self.step_output(step)
            scope.setdefault(
                step.id.name, Symbol("step", out, step, has_value=out is not None or self.step_has_value(step))
            )
        return scope

    def step_has_value(self, step: ast.Step) -> bool:
        return step.output is not None or (step.call is not None and self._call_output(step.call) is not None)

    def step_output(self, step: ast.Step) -> ty.T:
        """The type of the variable a step binds (``list of T`` for a looped step)."""
        t = (
            ty.from_node(step.output)
            if step.output is not None
            else (self._call_output(step.call) if step.call else None)
        )
        return ("list", t) if (t is not None and step.loop is not None) else t

    def _call_output(self, call: ast.Call | None) -> ty.T:
        proc = self.procedures.get(call.name.name) if call else None
        return ty.from_node(proc.define.output) if proc and proc.define.output else None

    # --------------------------------------------------------------- inference

    def _resolve(self, ref: ast.Ref, scope: dict[str, Symbol], in_text: bool = False) -> ty.T:
        """The type of a reference (None where it cannot be read); records the read."""
        sym = scope.get(ref.name)
        t: ty.T = None
        if sym is not None:
            if sym.kind in ("input", "step"):
                self.used.add(ref.name)
            if sym.has_value:
                t = _field_type(sym.type, ref.fields)
        self.reads.append(Read(ref, sym, scope, t, self._wanted.get(id(ref)), in_text))
        return t

    def _infer(self, e: object, scope: dict[str, Symbol]) -> ty.T:
        """The type of an expression; records it, and the reads and uses inside."""
        t = _INFERENCE.visit(e, self, scope)
        self._types[id(e)] = t
        return t

    def _read_text(self, s: ast.StringLit, scope: dict[str, Symbol]) -> None:
        """Resolve a string's interpolations."""
        for ref in s.refs:
            self._resolve(ref, scope, in_text=True)

    def _use(
        self, place: Place, e: object, scope: dict[str, Symbol], wanted: ty.T = None, owner: object = None
    ) -> ty.T:
        """Infer an expression that a place wants of some type, and record the use."""
        t = self._infer(e, scope)
        self.uses.append(Use(place, e, t, wanted, owner))
        return t

    # --------------------------------------------------------------- the walk

    def run(self) -> Analysis:
        self._load_modules()
        scope = self.globals
        for inp in self.plan.inputs:
            if inp.default is not None:
                self._use("default", inp.default, {}, ty.from_node(inp.type), owner=inp)
        for define in self.plan.defines:
            self._walk_define(define)
        for step in self.plan.steps:
            self._walk_step(step, scope)
        return self

    def _load_modules(self) -> None:
        for define in self.plan.defines:
            self.procedures.setdefault(define.name.name, Procedure(define, None))
        for use in self.plan.uses:
            module = load_module(use.module, use.is_path, Path(self.path).parent if self.path else None, self.read)
            if module.error:
                self.imports.append(Import(use, module))
                continue
            cycle: tuple[str, ...] = ()
            if use.is_path and self.path:
                cycle = tuple(import_cycle(Path(self.path), use.module, self.read) or ())
                if cycle and (Path(self.path).parent / use.module).resolve() == Path(self.path).resolve():
                    self.imports.append(Import(use, module, cycle))
                    continue  # its own procedures: nothing to import
            self.modules.append(module)
            taken = []
            for define in module.plan.defines:
                if define.name.name in self.procedures:
                    taken.append((define.name.name, self.procedures[define.name.name].module))
                else:
                    self.procedures[define.name.name] = Procedure(define, use.module)
            self.imports.append(Import(use, module, cycle, tuple(taken)))

    def _walk_define(self, define: ast.Define) -> None:
        scope: dict[str, Symbol] = {"page": Symbol("builtin", ty.PAGE)}
        for p in define.params:
            scope.setdefault(p.name.name, Symbol("param", ty.from_node(p.type), p))
        if define.intent is not None:
            self._read_text(define.intent, scope)
        self._walk_actions(define.actions or (), scope, define.output)

    def _walk_step(self, step: ast.Step, scope: dict[str, Symbol]) -> None:
        if step.loop is not None:
            it = self._use("loop", step.loop.iterable, scope)
            item = it[1] if isinstance(it, tuple) and it[0] == "list" else None
            scope = {**scope, step.loop.var.name: Symbol("loop", item, step.loop)}
        if step.intent is not None:
            self._read_text(step.intent, scope)
        if step.condition is not None:
            self._wanted[id(step.condition)] = ty.BOOL
            self._use("condition", step.condition, scope, ty.BOOL)
        if step.call is not None:
            self._walk_call(step, scope)
        self._walk_actions(step.actions or (), scope, step.output)

    def _walk_call(self, step: ast.Step, scope: dict[str, Symbol]) -> None:
        call = step.call
        assert call is not None
        proc = self.procedures.get(call.name.name)
        if proc is None:
            for arg in call.args:  # names in the arguments are still read
                self._infer(arg.value, scope)
            self.calls.append(CallSite(step, None))
            return
        self.used_procedures.add(call.name.name)
        bindings = _bind(call, proc.define.params)
        bound = {b.param: b.arg for b in bindings if b.problem is None}
        types = {}
        for p in proc.define.params:  # in the order of the parameters
            if p.name.name in bound:
                types[p.name.name] = self._infer(bound[p.name.name].value, scope)
        site = CallSite(step, proc, tuple(b if b.problem else replace(b, type=types[b.param]) for b in bindings))
        self.calls.append(site)
        if step.output is not None:
            got = ty.from_node(proc.define.output) if proc.define.output is not None else None
            self.uses.append(Use("result", step.output, got, ty.from_node(step.output), owner=site))

    def _walk_actions(self, actions: tuple, scope: dict[str, Symbol], output: ast.Type | None) -> None:
        last_extract: ast.Extract | None = None
        for action in actions:
            for target in action.targets():
                t = target
                while t is not None:
                    if t.name is not None:
                        self._read_text(t.name, scope)
                    t = t.within
            match action:
                case ast.Goto(url=url):
                    self._use("goto", url, scope, ty.URL)
                case ast.TabOpen(url=url) if url is not None:
                    self._use("tab", url, scope, ty.URL)
                case ast.Fill(value=value) | ast.Select(value=value):
                    self._use("fill", value, scope, owner=action)
                case ast.Assert(condition=condition):
                    self._use("assert", condition, scope, ty.BOOL)
                case ast.Answer(value=value):
                    self._use("answer", value, scope)
                case ast.Extract():
                    last_extract = action
                case _:
                    for e in action.exprs():
                        self._infer(e, scope)
        if output is not None and actions:
            got = None
            if last_extract is not None:
                got = ty.from_node(last_extract.as_type) if last_extract.as_type else ty.TEXT
            self.uses.append(Use("output", output, got, ty.from_node(output), owner=last_extract))

    # --------------------------------------------------------------- graph facts

    @cached_property
    def dependencies(self) -> list[Dependency]:
        return plan_dependencies(self.plan)

    @cached_property
    def dependency_graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(s.id.name for s in self.plan.steps)
        for d in self.dependencies:
            g.add_edge(d.on, d.step, span=d.span, kind=d.kind)
        return g


def _field_type(t: ty.T, fields: tuple[str, ...]) -> ty.T:
    """The type of ``value.field.field`` for a value of type ``t`` (None where a field cannot be read)."""
    for name in fields:
        if not (isinstance(t, tuple) and t[0] == "record"):
            return None
        t = dict(t[1]).get(name)
    return t


def _bind(call: ast.Call, params: tuple[ast.Param, ...]) -> list[Binding]:
    """How a call's arguments bind to the parameters: by position, then by name; the first
    value a parameter gets is the one it keeps."""
    names = {p.name.name for p in params}
    bound: set[str] = set()
    out = []
    for i, arg in enumerate(call.args):
        if arg.name is None:
            if bound and any(a.name is not None for a in call.args[:i]):
                out.append(Binding(arg, None, "after-keyword"))
                continue
            if i >= len(params):
                out.append(Binding(arg, None, "extra"))
                continue
            name = params[i].name.name
        else:
            name = arg.name.name
            if name not in names:
                out.append(Binding(arg, None, "unknown"))
                continue
        if name in bound:
            out.append(Binding(arg, name, "twice"))
            continue
        bound.add(name)
        out.append(Binding(arg, name))
    return out


class _TypeInference(ExprVisitor, exhaustive=True):
    """The type of an expression, for :meth:`Analysis._infer` (which records it); records
    the reads and uses inside on the analysis."""

    def visit_StringLit(self, e: ast.StringLit, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        a._read_text(e, scope)
        return ty.TEXT

    def visit_NumberLit(self, e: ast.NumberLit, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        return ty.NUMBER

    def visit_BoolLit(self, e: ast.BoolLit, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        return ty.BOOL

    def visit_Ref(self, e: ast.Ref, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        return a._resolve(e, scope)

    def visit_ListLit(self, e: ast.ListLit, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        items = tuple(a._infer(i, scope) for i in e.items)
        known = [t for t in items if t is not None]
        mixed = any(not ty.comparable(known[0], t) for t in known[1:])
        t = ("list", None) if mixed else ("list", known[0] if known else None)
        a.uses.append(Use("items", e, t, parts=items))
        return t

    def _operands(self, e: Any, operands: tuple[Any, ...], a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        for operand in operands:
            a._wanted[id(operand)] = ty.BOOL
            a.uses.append(Use("operand", operand, a._infer(operand, scope), ty.BOOL, owner=e))
        return ty.BOOL

    def visit_And(self, e: ast.And, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        return self._operands(e, e.items, a, scope)

    def visit_Or(self, e: ast.Or, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        return self._operands(e, e.items, a, scope)

    def visit_Not(self, e: ast.Not, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        return self._operands(e, (e.operand,), a, scope)

    def visit_Compare(self, e: ast.Compare, a: Analysis, scope: dict[str, Symbol]) -> ty.T:
        # what each side must be, for the advice of a side that turns out to have no value
        if e.op in ("<", "<=", ">", ">="):
            a._wanted[id(e.left)] = a._wanted[id(e.right)] = ty.NUMBER
        elif e.op == "matches":
            a._wanted[id(e.left)] = ty.TEXT
        elif e.op in ("==", "!="):
            a._wanted[id(e.left)], a._wanted[id(e.right)] = _literal_type(e.right), _literal_type(e.left)
        left, right = a._infer(e.left, scope), a._infer(e.right, scope)
        a.uses.append(Use("comparison", e, ty.BOOL, parts=(left, right)))
        return ty.BOOL


_INFERENCE = _TypeInference()


class _LiteralType(ExprVisitor):
    """The type of a literal; None for any other expression."""

    def visit_NumberLit(self, e: ast.NumberLit) -> ty.T:
        return ty.NUMBER

    def visit_BoolLit(self, e: ast.BoolLit) -> ty.T:
        return ty.BOOL

    def visit_StringLit(self, e: ast.StringLit) -> ty.T:
        return ty.TEXT

    def generic_visit(self, e: object) -> ty.T:
        return None


_literal_type = _LiteralType().visit
