"""The semantic model of a plan that lint rules read.

One pass resolves names (inputs, step outputs, loop variables, procedure
parameters, the built-in ``page``), infers the type of every expression and
records what it found as :class:`Finding` objects keyed by code; most rules
then select their code, a few (cycles, unused names, safety) look at the plan
themselves through the same model.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx

from ..lang import types as ty
from ..lang.deps import Dependency, plan_dependencies
from ..lang.modules import Module, Reader, import_cycle, load_module, read_from_disk
from ..lang.patterns import pattern_problems
from ..syntax import ast
from ..syntax.diagnostics import Diagnostic


@dataclass(frozen=True)
class Finding:
    """A problem found by the analysis, before it becomes a diagnostic."""

    code: str
    span: ast.Span
    message: str
    help: str | None = None


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


@dataclass
class Analysis:
    """Everything the rules need to know about one plan."""

    plan: ast.Plan
    path: str | None = None
    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    used: set[str] = field(default_factory=set)  # names of inputs/steps that something reads
    used_procedures: set[str] = field(default_factory=set)
    procedures: dict[str, Procedure] = field(default_factory=dict)
    modules: list[Module] = field(default_factory=list)
    read: Reader = field(default=read_from_disk, repr=False)  # how an imported file's text is read
    _wanted: dict[int, ty.T] = field(default_factory=dict, repr=False)  # id(expression) -> the type its reader needs

    def add(self, code: str, span: ast.Span, message: str, help: str | None = None) -> None:
        self.findings[code].append(Finding(code, span, message, help))

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

    def resolve(self, ref: ast.Ref, scope: dict[str, Symbol]) -> ty.T:
        """The type of a reference; records PA201/PA207/PA208 where it cannot be read."""
        sym = scope.get(ref.name)
        if sym is None:
            close = difflib.get_close_matches(ref.name, list(scope), n=1)
            self.add(
                "PA201",
                ref.span,
                f"undefined name `{ref.name}`",
                f"did you mean `{close[0]}`?"
                if close
                else "declare it with `input` or give a step that id and an output type",
            )
            return None
        if sym.kind in ("input", "step"):
            self.used.add(ref.name)
        if not sym.has_value:
            self.add("PA208", ref.span, f"step `{ref.name}` has no output to read", self._output_help(ref, sym.node))
            return None
        t = sym.type
        for name in ref.fields:
            if t is None:
                return None
            if not (isinstance(t, tuple) and t[0] == "record"):
                self.add("PA207", ref.span, f"`{ref.dotted}`: a {ty.show(t)} has no field `{name}`")
                return None
            fields = dict(t[1])
            if name not in fields:
                self.add(
                    "PA207",
                    ref.span,
                    f"`{ref.dotted}`: no field `{name}` in {ty.show(t)}",
                    "fields: " + ", ".join(fields),
                )
                return None
            t = fields[name]
        return t

    def _output_help(self, ref: ast.Ref, step: object) -> str:
        """PA208's advice: the output type the step produces (its last `extract`), or the one its reader needs."""
        if isinstance(step, ast.Step) and step.call is not None:
            name = step.call.name.name
            return (
                f'`{name}` returns nothing: give the procedure an output type, `define step {name}(...) "..." -> TYPE`'
            )
        produced = None
        for action in getattr(step, "actions", None) or ():
            if isinstance(action, ast.Extract):
                produced = ty.from_node(action.as_type) if action.as_type else ty.TEXT
        if produced is not None:
            return f'declare what its last `extract` gives: `step {ref.name} "..." -> {ty.show(produced)}`'
        wanted = self._wanted.get(id(ref))
        if wanted is not None:
            return f'declare its output type: `step {ref.name} "..." -> {ty.show(wanted)}`, as it is read here'
        return f'declare its output type: `step {ref.name} "..." -> TYPE` (text, number, bool, url, list of T, record {{...}})'

    def infer(self, e: object, scope: dict[str, Symbol]) -> ty.T:
        """The type of an expression; type errors are recorded as PA301 findings."""
        if isinstance(e, ast.StringLit):
            self.check_string(e, scope)
            return ty.TEXT
        if isinstance(e, ast.NumberLit):
            return ty.NUMBER
        if isinstance(e, ast.BoolLit):
            return ty.BOOL
        if isinstance(e, ast.Ref):
            return self.resolve(e, scope)
        if isinstance(e, ast.ListLit):
            items = [self.infer(i, scope) for i in e.items]
            known = [t for t in items if t is not None]
            if any(not ty.comparable(known[0], t) for t in known[1:]):
                self.add(
                    "PA301",
                    e.span,
                    "list items have different types: " + ", ".join(sorted({ty.show(t) for t in known})),
                    'a list holds values of one type: write every item as text (`"3"`) or every one as a number',
                )
                return ("list", None)
            return ("list", known[0] if known else None)
        if isinstance(e, (ast.And, ast.Or, ast.Not)):
            operands = e.items if not isinstance(e, ast.Not) else (e.operand,)
            word = "not" if isinstance(e, ast.Not) else e.kind
            for operand in operands:
                self._wanted[id(operand)] = ty.BOOL
                t = self.infer(operand, scope)
                if t not in (None, ty.BOOL):
                    self.add(
                        "PA301",
                        operand.span,
                        f"`{word}` needs a bool, not a {ty.show(t)}",
                        'compare the value to get a bool: `x == "..."`, `n > 0`, `t contains "..."`',
                    )
            return ty.BOOL
        if isinstance(e, ast.Compare):
            return self._compare(e, scope)
        raise TypeError(f"not an expression: {e!r}")

    def _compare(self, e: ast.Compare, scope: dict[str, Symbol]) -> ty.T:
        # what each side must be, for the advice of a side that turns out to have no value (PA208)
        if e.op in ("<", "<=", ">", ">="):
            self._wanted[id(e.left)] = self._wanted[id(e.right)] = ty.NUMBER
        elif e.op == "matches":
            self._wanted[id(e.left)] = ty.TEXT
        elif e.op in ("==", "!="):
            self._wanted[id(e.left)], self._wanted[id(e.right)] = _literal_type(e.right), _literal_type(e.left)
        left, right = self.infer(e.left, scope), self.infer(e.right, scope)
        if ty.contains_secret(left) or ty.contains_secret(right):  # every operator, not only `contains`
            self.add(
                "PA301",
                e.span,
                f"`{e.op}` on a secret: a condition on a secret's value reveals it, one probe at a time",
                'a secret is only filled into a field (`fill label "Password" with password`) or passed to a '
                "parameter of type secret; check what the page shows instead (`assert visible ...`)",
            )
            return ty.BOOL
        if left is None or right is None:
            return ty.BOOL
        problem = help = None
        if e.op in ("==", "!="):
            if not ty.comparable(left, right):
                problem = f"cannot compare a {ty.show(left)} with a {ty.show(right)}"
                help = 'compare values of one type: numbers with numbers (`price == 30`), text with text (`t == "30"`)'
        elif e.op in ("<", "<=", ">", ">="):
            if left != ty.NUMBER or right != ty.NUMBER:
                problem = f"`{e.op}` compares numbers, not a {ty.show(left)} and a {ty.show(right)}"
                help = 'make both sides numbers: a number literal (`30`, not `"30"`), a step `-> number`, `as number`'
        elif e.op == "contains":
            if isinstance(left, tuple) and left[0] == "list":
                if not ty.comparable(left[1], right):
                    problem = f"a {ty.show(left)} cannot contain a {ty.show(right)}"
                    help = f"look for a {ty.show(left[1])}: the items of the list are of that type"
            elif not (ty.is_textual(left) and ty.is_textual(right)):
                problem = f"`contains` needs text or a list on the left and a matching value, not {ty.show(left)} and {ty.show(right)}"
                help = '`contains` asks whether text holds text (`page.title contains "Cart"`) or a list holds an item'
        elif e.op == "matches":
            if not (ty.is_textual(left) and ty.is_textual(right)):
                problem = f"`matches` needs text and a pattern, not {ty.show(left)} and {ty.show(right)}"
                help = '`matches` tests text against a regular expression: `page.url matches "/item/[0-9]+"`'
            elif isinstance(e.right, ast.StringLit) and not e.right.refs:
                try:
                    re.compile(e.right.text)
                except re.error as err:
                    problem = f"invalid regular expression: {err}"
                    help = (
                        "the pattern is a Python regular expression: check its brackets and escapes (`\\\\.` for a dot)"
                    )
        if problem:
            self.add("PA301", e.span, problem, help)
        return ty.BOOL

    def check_string(self, s: ast.StringLit, scope: dict[str, Symbol]) -> None:
        """Resolve a string's interpolations; a secret in one is PA502."""
        for ref in s.refs:
            t = self.resolve(ref, scope)
            if ty.contains_secret(t):
                self.add(
                    "PA502",
                    ref.span,
                    f"secret `{ref.dotted}` interpolated into text",
                    "pass a secret only as a `fill` value or a call argument",
                )

    def expect(
        self,
        e: object,
        scope: dict[str, Symbol],
        want: ty.T,
        what: str,
        code: str = "PA305",
        help: str | None = None,
    ) -> ty.T:
        t = self.infer(e, scope)
        if not ty.assignable(t, want):
            self.add(code, getattr(e, "span", ast.NO_SPAN), f"{what} must be {ty.show(want)}, not {ty.show(t)}", help)
        return t

    # --------------------------------------------------------------- the pass

    def run(self) -> Analysis:
        self._load_modules()
        self._check_duplicates()
        scope = self.globals
        for inp in self.plan.inputs:
            if inp.default is not None:
                self.expect(inp.default, {}, ty.from_node(inp.type), f"the default of `{inp.name.name}`")
            for span, message in pattern_problems(inp):
                self.add("PA209", span, message)
        for define in self.plan.defines:
            self._check_define(define)
        for step in self.plan.steps:
            self._check_step(step, scope)
        return self

    def _load_modules(self) -> None:
        for define in self.plan.defines:
            self.procedures.setdefault(define.name.name, Procedure(define, None))
        for use in self.plan.uses:
            module = load_module(use.module, use.is_path, Path(self.path).parent if self.path else None, self.read)
            if module.error:
                self.add("PA206", use.span, module.error, module.help)
                continue
            if use.is_path and self.path:
                chain = import_cycle(Path(self.path), use.module, self.read)
                if chain:
                    self.add(
                        "PA210",
                        use.span,
                        "import cycle: " + " -> ".join(f"`{name}`" for name in chain),
                        "a file cannot import itself, directly or through other files: "
                        "move the procedures they share into a file that imports neither",
                    )
                    if (Path(self.path).parent / use.module).resolve() == Path(self.path).resolve():
                        continue  # its own procedures: nothing to import
            self.modules.append(module)
            for define in module.plan.defines:
                if define.name.name in self.procedures:
                    other = self.procedures[define.name.name].module or "this plan"
                    self.add(
                        "PA202",
                        use.span,
                        f"procedure `{define.name.name}` of `{use.module}` is also defined in {other}",
                    )
                else:
                    self.procedures[define.name.name] = Procedure(define, use.module)

    def _check_duplicates(self) -> None:
        seen: dict[str, tuple[str, int]] = {}

        def claim(ident: ast.Ident, what: str, space: dict[str, tuple[str, int]]) -> None:
            if ident.name in space:
                kind, line = space[ident.name]
                where = f" on line {line}" if line else ""
                self.add("PA202", ident.span, f"duplicate name `{ident.name}`: already defined as {kind}{where}")
            else:
                space[ident.name] = (f"a {what}" if what[0] not in "aeiou" else f"an {what}", ident.span.line)

        seen["page"] = ("the built-in `page` (page.url, page.title)", 0)
        sites: dict[str, tuple[str, int]] = {}
        for site in self.plan.sites:
            claim(site.name, "site", sites)
        for inp in self.plan.inputs:
            claim(inp.name, "input", seen)
            if isinstance(inp.type, ast.RecordType):
                fields: dict[str, tuple[str, int]] = {}
                for f in inp.type.fields:
                    claim(f.name, "field", fields)
        for step in self.plan.steps:
            claim(step.id, "step", seen)
        procs: dict[str, tuple[str, int]] = {}
        for define in self.plan.defines:
            claim(define.name, "procedure", procs)
            params: dict[str, tuple[str, int]] = {}
            for p in define.params:
                claim(p.name, "parameter", params)

    def _check_define(self, define: ast.Define) -> None:
        scope: dict[str, Symbol] = {"page": Symbol("builtin", ty.PAGE)}
        for p in define.params:
            scope.setdefault(p.name.name, Symbol("param", ty.from_node(p.type), p))
        self._check_intent(define.intent, define.name, scope, required=False)
        self._check_actions(define.actions or (), scope, define.output)

    def _check_step(self, step: ast.Step, scope: dict[str, Symbol]) -> None:
        if step.loop is not None:
            it = self.infer(step.loop.iterable, scope)
            item: ty.T = None
            if isinstance(it, tuple) and it[0] == "list":
                item = it[1]
            elif it is not None:
                self.add("PA304", step.loop.iterable.span, f"`for` needs a list, not a {ty.show(it)}")
            scope = {**scope, step.loop.var.name: Symbol("loop", item, step.loop)}
            if step.loop.var.name in self.globals:
                self.add("PA202", step.loop.var.span, f"loop variable `{step.loop.var.name}` hides another name")
        self._check_intent(step.intent, step.id, scope, required=step.call is None)
        if step.condition is not None:
            self._wanted[id(step.condition)] = ty.BOOL
            t = self.infer(step.condition, scope)
            if t not in (None, ty.BOOL):
                self.add(
                    "PA303",
                    step.condition.span,
                    f"a condition must be a bool, not a {ty.show(t)}",
                    "compare it: `if x == ...`, `if x > 0`",
                )
        if step.call is not None:
            self._check_call(step, scope)
        self._check_actions(step.actions or (), scope, step.output)

    def _check_intent(
        self, intent: ast.StringLit | None, owner: ast.Ident, scope: dict[str, Symbol], required: bool
    ) -> None:
        if intent is not None:
            self.check_string(intent, scope)
        if required and (intent is None or not intent.text.strip()):
            self.add(
                "PA601",
                intent.span if intent else owner.span,
                f"`{owner.name}` has no intent",
                'say what the step does: `step id "Open the cart"`',
            )

    def _check_call(self, step: ast.Step, scope: dict[str, Symbol]) -> None:
        call = step.call
        assert call is not None
        proc = self.procedures.get(call.name.name)
        if proc is None:
            for arg in call.args:  # names in the arguments are still checked
                self.infer(arg.value, scope)
            close = difflib.get_close_matches(call.name.name, list(self.procedures), n=1)
            hint = (
                f"did you mean `{close[0]}`?"
                if close
                else "define it with `define step` or import a library: `use web`"
            )
            self.add("PA205", call.name.span, f"undefined procedure `{call.name.name}`", hint)
            return
        self.used_procedures.add(call.name.name)
        params = proc.define.params
        signature = f"`{call.name.name}(" + ", ".join(f"{p.name.name}: {ty.show(ty.from_node(p.type))}" for p in params)
        signature += ")`" + (f" (from `{proc.module}`)" if proc.module else "")
        bound: dict[str, ast.Arg] = {}
        for i, arg in enumerate(call.args):
            if arg.name is None:
                if bound and any(a.name is not None for a in call.args[:i]):
                    self.add(
                        "PA302",
                        arg.span,
                        "positional argument after a keyword argument",
                        "give the positional arguments first, then the named ones: `proc(a, b, name=c)`",
                    )
                    continue
                if i >= len(params):
                    self.add(
                        "PA302",
                        arg.span,
                        f"`{call.name.name}` takes {len(params)} argument(s), got {len(call.args)}",
                        f"the procedure is {signature}",
                    )
                    continue
                name = params[i].name.name
            else:
                name = arg.name.name
                if name not in {p.name.name for p in params}:
                    self.add(
                        "PA302",
                        arg.name.span,
                        f"`{call.name.name}` has no parameter `{name}`",
                        "parameters: " + ", ".join(p.name.name for p in params),
                    )
                    continue
            if name in bound:
                self.add(
                    "PA302",
                    arg.span,
                    f"parameter `{name}` given twice",
                    "give each parameter once, by position or by name",
                )
                continue
            bound[name] = arg
        for p in params:
            arg = bound.get(p.name.name)
            if arg is None:
                self.add(
                    "PA302",
                    call.span,
                    f"missing argument `{p.name.name}: {ty.show(ty.from_node(p.type))}` for `{call.name.name}`",
                    f"give every parameter a value: the procedure is {signature}",
                )
            else:
                self.expect(
                    arg.value,
                    scope,
                    ty.from_node(p.type),
                    f"argument `{p.name.name}` of `{call.name.name}`",
                    "PA302",
                    f"pass a {ty.show(ty.from_node(p.type))}: the procedure is {signature}",
                )
        if step.output is not None and proc.define.output is None:
            self.add(
                "PA305",
                step.output.span,
                f"`{call.name.name}` returns nothing, but the step declares -> {ty.show(ty.from_node(step.output))}",
            )
        elif step.output is not None and proc.define.output is not None:
            got, want = ty.from_node(proc.define.output), ty.from_node(step.output)
            if not ty.assignable(got, want):
                self.add("PA305", step.output.span, f"`{call.name.name}` returns {ty.show(got)}, not {ty.show(want)}")

    def _check_actions(self, actions: tuple, scope: dict[str, Symbol], output: object) -> None:
        last_extract: ast.Extract | None = None
        for action in actions:
            for target in action.targets():
                t = target
                while t is not None:
                    if t.name is not None:
                        self.check_string(t.name, scope)
                    t = t.within
            match action:
                case ast.Goto(site=site, url=url):
                    if site is not None and not any(s.name.name == site.name for s in self.plan.sites):
                        sites = ", ".join(s.name.name for s in self.plan.sites) or "none declared"
                        self.add(
                            "PA204",
                            site.span,
                            f"undefined site `{site.name}`",
                            f'declare it with `site {site.name} = "http://..."` (sites: {sites})',
                        )
                    self.expect(url, scope, ty.URL, "a goto target")
                case ast.TabOpen(url=url) if url is not None:
                    self.expect(url, scope, ty.URL, "a tab's URL")
                case ast.Fill(value=value) | ast.Select(value=value):
                    t = self.infer(value, scope)
                    if t not in (None, ty.TEXT, ty.URL, ty.SECRET, ty.NUMBER):
                        self.add(
                            "PA305", value.span, f"`{action.op}` types text, a number or a secret, not a {ty.show(t)}"
                        )
                case ast.Assert(condition=condition):
                    t = self.infer(condition, scope)
                    if t not in (None, ty.BOOL):
                        self.add("PA303", condition.span, f"`assert` needs a bool, not a {ty.show(t)}")
                case ast.Answer(value=value):
                    t = self.infer(value, scope)
                    if ty.contains_secret(t):
                        self.add("PA503", value.span, "a secret given as the answer")
                case ast.Extract():
                    last_extract = action
                case _:
                    for e in action.exprs():
                        self.infer(e, scope)
        if output is not None and actions:
            want = ty.from_node(output)
            if last_extract is None:
                self.add(
                    "PA305",
                    output.span,
                    f"declares -> {ty.show(want)} but no `extract` gives it",
                    "end the block with `extract TARGET as TYPE`",
                )
            else:
                got = ty.from_node(last_extract.as_type) if last_extract.as_type else ty.TEXT
                if not ty.assignable(got, want):
                    self.add(
                        "PA305",
                        last_extract.span,
                        f"extracts {ty.show(got)}, but the step declares -> {ty.show(want)}",
                        f"write `as {ty.show(want)}`",
                    )

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


def _literal_type(e: object) -> ty.T:
    """The type of a literal (None for anything else)."""
    if isinstance(e, ast.NumberLit):
        return ty.NUMBER
    if isinstance(e, ast.BoolLit):
        return ty.BOOL
    if isinstance(e, ast.StringLit):
        return ty.TEXT
    return None


def diagnostics_of(findings: list[Finding], severity: str) -> list[Diagnostic]:
    return [Diagnostic(code=f.code, severity=severity, message=f.message, span=f.span, help=f.help) for f in findings]  # type: ignore[arg-type]
