"""The typed syntax tree of a plan.

Every node is a frozen pydantic model that carries a :class:`Span`.  Spans
never take part in equality, so two trees parsed from differently formatted
sources compare equal when they mean the same plan (``parse(format(p)) == p``).
Leading comments and a trailing comment are kept on line-level nodes (items
and actions) so that the formatter can print them back.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema


class Span:
    """A source range: 1-based line and column of the start, and of the end (exclusive).

    A plain slotted class (the parser makes one per node, so it must be cheap)
    that pydantic validates and serialises as ``{line, column, end_line, end_column}``.
    """

    __slots__ = ("line", "column", "end_line", "end_column")

    def __init__(self, line: int = 0, column: int = 0, end_line: int = 0, end_column: int = 0) -> None:
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column

    def __eq__(self, other: object) -> bool:  # spans never decide equality
        return isinstance(other, Span)

    def __hash__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return self.line > 0

    def __repr__(self) -> str:
        return f"Span({self.line}:{self.column}-{self.end_line}:{self.end_column})"

    def as_dict(self) -> dict[str, int]:
        return {"line": self.line, "column": self.column, "end_line": self.end_line, "end_column": self.end_column}

    def cover(self, other: Span) -> Span:
        """The smallest span holding both ``self`` and ``other``."""
        if not self:
            return other
        if not other:
            return self
        start = min((self.line, self.column), (other.line, other.column))
        end = max((self.end_line, self.end_column), (other.end_line, other.end_column))
        return Span(start[0], start[1], end[0], end[1])

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        fields = core_schema.typed_dict_schema(
            {k: core_schema.typed_dict_field(core_schema.int_schema()) for k in cls.__slots__}
        )
        from_dict = core_schema.no_info_after_validator_function(lambda d: cls(**d), fields)
        return core_schema.json_or_python_schema(
            json_schema=from_dict,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), from_dict]),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda s: s.as_dict()),
        )


NO_SPAN = Span()


class Node(BaseModel):
    """Base of all syntax nodes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    span: Span = Field(default=NO_SPAN, repr=False)

    @classmethod
    def new(cls, **fields: Any) -> Any:
        """Build a node from already-typed values without validation (the parser's fast path)."""
        defaults = cls.__dict__.get("_defaults_cache")
        if defaults is None:
            defaults = {n: f.default for n, f in cls.model_fields.items() if not f.is_required()}
            type.__setattr__(cls, "_defaults_cache", defaults)
        node = cls.__new__(cls)
        values = dict(defaults)
        values.update(fields)
        object.__setattr__(node, "__dict__", values)
        object.__setattr__(node, "__pydantic_fields_set__", set(fields))
        object.__setattr__(node, "__pydantic_extra__", None)
        object.__setattr__(node, "__pydantic_private__", None)
        return node


class Ident(Node):
    """An identifier as written: a step id, variable, site or procedure name."""

    name: str


# ---------------------------------------------------------------- types


class ScalarType(Node):
    """``text``, ``number``, ``bool``, ``url`` or ``secret``."""

    kind: Literal["scalar"] = "scalar"
    name: Literal["text", "number", "bool", "url", "secret"]


class ListType(Node):
    """``list of T``."""

    kind: Literal["list"] = "list"
    item: Type


class FieldType(Node):
    """One ``name: type`` field of a record type."""

    name: Ident
    type: Type


class RecordType(Node):
    """``record {name: T, ...}``."""

    kind: Literal["record"] = "record"
    fields: tuple[FieldType, ...] = ()


Type = Annotated[ScalarType | ListType | RecordType, Field(discriminator="kind")]


# ---------------------------------------------------------- expressions


class Ref(Node):
    """A variable reference ``name`` or ``name.field.field``."""

    kind: Literal["ref"] = "ref"
    name: str
    fields: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        return ".".join((self.name, *self.fields))


class StringLit(Node):
    """A string; ``parts`` alternate literal text and ``{var}`` interpolations."""

    kind: Literal["string"] = "string"
    parts: tuple[str | Ref, ...] = ()

    @property
    def refs(self) -> tuple[Ref, ...]:
        return tuple(p for p in self.parts if isinstance(p, Ref))

    @property
    def text(self) -> str:
        """The string with interpolations shown as ``{name}``."""
        return "".join(p if isinstance(p, str) else "{" + p.dotted + "}" for p in self.parts)


class NumberLit(Node):
    kind: Literal["number"] = "number"
    value: int | float


class BoolLit(Node):
    kind: Literal["bool"] = "bool"
    value: bool


class ListLit(Node):
    kind: Literal["list"] = "list"
    items: tuple[Expr, ...] = ()


CompareOp = Literal["==", "!=", "<", "<=", ">", ">=", "contains", "matches"]


class Compare(Node):
    kind: Literal["compare"] = "compare"
    op: CompareOp
    left: Expr
    right: Expr


class And(Node):
    kind: Literal["and"] = "and"
    items: tuple[Expr, ...]


class Or(Node):
    kind: Literal["or"] = "or"
    items: tuple[Expr, ...]


class Not(Node):
    kind: Literal["not"] = "not"
    operand: Expr


Expr = Annotated[
    Ref | StringLit | NumberLit | BoolLit | ListLit | Compare | And | Or | Not,
    Field(discriminator="kind"),
]
EXPR_NODES = (Ref, StringLit, NumberLit, BoolLit, ListLit, Compare, And, Or, Not)


# -------------------------------------------------------------- targets

ROLE_KINDS = (
    "button", "link", "textbox", "searchbox", "checkbox", "radio", "combobox", "listbox",
    "option", "heading", "row", "cell", "table", "tab", "menuitem", "dialog", "img", "list", "spinbutton",
    "listitem", "navigation", "region", "form", "article",
)  # fmt: skip
LOCATOR_KINDS = ("label", "placeholder", "text", "testid", "css", "ref")
TARGET_KINDS = ROLE_KINDS + LOCATOR_KINDS


class Target(Node):
    """An element locator: ``button "Add to cart" first within css ".result"``."""

    kind: str
    name: StringLit | None = None
    pick: Literal["first", "last", "nth"] | None = None
    index: int | None = None
    within: Target | None = None


# -------------------------------------------------------------- actions


class Line(Node):
    """A node that stands on lines of its own and can carry comments."""

    comments: tuple[str, ...] = ()
    trailing: str | None = None


class Action(Line):
    """Base of the executor's actions; subclasses register themselves by ``op``."""

    registry: ClassVar[dict[str, type[Action]]] = {}
    summary: ClassVar[str] = ""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: object) -> None:
        op = cls.model_fields["op"].default
        if not isinstance(op, str) or not cls.summary:
            raise TypeError(f"action {cls.__name__} needs an `op` default and a `summary`")
        if op in Action.registry:
            raise TypeError(f"action op {op!r} registered twice")
        Action.registry[op] = cls
        # which fields hold targets and which hold expressions, decided once per class
        fields = {
            n: str(f.annotation) for n, f in cls.model_fields.items() if n not in ("span", "op", "comments", "trailing")
        }
        cls._target_fields = tuple(n for n, a in fields.items() if "Target" in a)
        cls._expr_fields = tuple(n for n, a in fields.items() if "Target" not in a and ("Ref" in a or "StringLit" in a))

    _target_fields: ClassVar[tuple[str, ...]] = ()
    _expr_fields: ClassVar[tuple[str, ...]] = ()

    def targets(self) -> tuple[Target, ...]:
        """The element targets this action touches."""
        values = (getattr(self, f) for f in self._target_fields)
        return tuple(v for v in values if v is not None)

    def exprs(self) -> tuple[Expr, ...]:
        """The expressions this action evaluates."""
        values = (getattr(self, f) for f in self._expr_fields)
        return tuple(v for v in values if v is not None)


class Goto(Action):
    summary: ClassVar[str] = "navigate to a URL, or to a path on a declared site"
    op: Literal["goto"] = "goto"
    site: Ident | None = None
    url: Expr


class Click(Action):
    summary: ClassVar[str] = "click an element"
    op: Literal["click"] = "click"
    target: Target


class Fill(Action):
    summary: ClassVar[str] = "type a value into a text field, replacing its content"
    op: Literal["fill"] = "fill"
    target: Target
    value: Expr


class Press(Action):
    summary: ClassVar[str] = "press a key, in an element or in the focused one"
    op: Literal["press"] = "press"
    key: StringLit
    target: Target | None = None


class Select(Action):
    summary: ClassVar[str] = "choose an option of a select element"
    op: Literal["select"] = "select"
    target: Target
    value: Expr


class Check(Action):
    summary: ClassVar[str] = "tick a checkbox or radio button"
    op: Literal["check"] = "check"
    target: Target


class Uncheck(Action):
    summary: ClassVar[str] = "clear a checkbox"
    op: Literal["uncheck"] = "uncheck"
    target: Target


class Hover(Action):
    summary: ClassVar[str] = "move the pointer over an element"
    op: Literal["hover"] = "hover"
    target: Target


class Scroll(Action):
    summary: ClassVar[str] = "scroll the page up or down by N screens (default 1)"
    op: Literal["scroll"] = "scroll"
    direction: Literal["up", "down"]
    amount: int | None = None


class ScrollTo(Action):
    summary: ClassVar[str] = "scroll an element into view"
    op: Literal["scroll_to"] = "scroll_to"
    target: Target


class Wait(Action):
    summary: ClassVar[str] = "wait a number of seconds"
    op: Literal["wait"] = "wait"
    seconds: int | float


class WaitFor(Action):
    summary: ClassVar[str] = "wait until an element is visible (bounded by the wait timeout)"
    op: Literal["wait_for"] = "wait_for"
    target: Target


class Back(Action):
    summary: ClassVar[str] = "go back in the tab's history"
    op: Literal["back"] = "back"


class Forward(Action):
    summary: ClassVar[str] = "go forward in the tab's history"
    op: Literal["forward"] = "forward"


class TabOpen(Action):
    summary: ClassVar[str] = "open a new tab, optionally at a URL, and switch to it"
    op: Literal["tab_open"] = "tab_open"
    url: Expr | None = None


class TabSwitch(Action):
    summary: ClassVar[str] = "switch to tab N (0 is the first)"
    op: Literal["tab_switch"] = "tab_switch"
    index: int


class TabClose(Action):
    summary: ClassVar[str] = "close the current tab"
    op: Literal["tab_close"] = "tab_close"


class Extract(Action):
    summary: ClassVar[str] = "read an element's content as text, number, url or list; it becomes the step's output"
    op: Literal["extract"] = "extract"
    target: Target
    as_type: Type | None = None


class Assert(Action):
    summary: ClassVar[str] = "fail the step unless a condition holds"
    op: Literal["assert"] = "assert"
    condition: Expr


class AssertVisible(Action):
    summary: ClassVar[str] = "fail the step unless an element is visible"
    op: Literal["assert_visible"] = "assert_visible"
    target: Target


class Answer(Action):
    summary: ClassVar[str] = "give the task's answer and finish the plan"
    op: Literal["answer"] = "answer"
    value: Expr


AnyAction = Annotated[
    Goto | Click | Fill | Press | Select | Check | Uncheck | Hover | Scroll | ScrollTo | Wait | WaitFor | Back | Forward | TabOpen | TabSwitch | TabClose | Extract | Assert | AssertVisible | Answer,
    Field(discriminator="op"),
]  # fmt: skip

# Action keywords as written in the language (op names use `_` where the syntax has two words).
ACTION_KEYWORDS = (
    "goto", "click", "fill", "press", "select", "check", "uncheck", "hover", "scroll", "wait",
    "back", "forward", "tab", "extract", "assert", "answer",
)  # fmt: skip


# ---------------------------------------------------------------- items


class Use(Line):
    """``use web`` (a stdlib module) or ``use "path.pa"`` (a file beside the plan)."""

    module: str
    is_path: bool = False


class Site(Line):
    """``site shop = "http://127.0.0.1:8765"``: an origin the plan may visit."""

    name: Ident
    url: StringLit


class Input(Line):
    """``input budget: number = 30``: a typed parameter of the plan; ``input task: record {label: text}
    matching "Click {label}."`` takes text and parses it with the patterns."""

    name: Ident
    type: Type
    default: Expr | None = None
    patterns: tuple[StringLit, ...] = ()  # `matching "..." or "..."`: given as text, parsed into the type


class Param(Node):
    name: Ident
    type: Type


class Arg(Node):
    name: Ident | None = None
    value: Expr


class Call(Node):
    """A call of a procedure: ``login(user, password=pw)``."""

    name: Ident
    args: tuple[Arg, ...] = ()


class Loop(Node):
    """``for item in items max 20``."""

    var: Ident
    iterable: Expr
    max: int | None = None


class Step(Line):
    """One step of the plan."""

    id: Ident
    intent: StringLit | None = None
    output: Type | None = None
    after: tuple[Ident, ...] = ()
    loop: Loop | None = None
    condition: Expr | None = None
    call: Call | None = None
    actions: tuple[AnyAction, ...] | None = None

    @property
    def grounded(self) -> bool:
        """True when the step has an action block (or calls a procedure)."""
        return self.actions is not None or self.call is not None


class Define(Line):
    """``define step name(params) "intent" -> T:`` followed by an optional action block."""

    name: Ident
    params: tuple[Param, ...] = ()
    intent: StringLit | None = None
    output: Type | None = None
    actions: tuple[AnyAction, ...] | None = None


class Plan(Line):
    """A whole plan file."""

    title: StringLit
    goal: StringLit | None = None
    uses: tuple[Use, ...] = ()
    sites: tuple[Site, ...] = ()
    inputs: tuple[Input, ...] = ()
    defines: tuple[Define, ...] = ()
    steps: tuple[Step, ...] = ()
    end_comments: tuple[str, ...] = ()

    def step(self, step_id: str) -> Step | None:
        """The step with this id, if any."""
        return next((s for s in self.steps if s.id.name == step_id), None)


class Remove(Line):
    """``remove step ID`` in a replanning patch."""

    id: Ident


class Patch(Node):
    """A replanning answer that edits the live plan: new or replacing steps, and removals, in order."""

    items: tuple[Step | Remove, ...] = ()


class Reply(Node):
    """An executor answer for one step: the next actions, and whether the step is done."""

    actions: tuple[AnyAction, ...] = ()
    done: bool = False


for _model in (ListType, FieldType, RecordType, ListLit, Compare, And, Or, Not, Target):
    _model.model_rebuild()
