"""Completion: what may be written at the cursor, read from the text before it on its line.

The context is the line as typed (it need not parse: completion matters most on a
half-written line); the names come from the latest version of the document that did
parse.  Each item says what it is (``kind``) and, for a procedure, inserts a call with
one placeholder per parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..lang import types as ty
from ..lang.modules import stdlib_modules
from ..syntax import ast
from ..syntax.format import define_header
from .hover import ACTION_SYNTAX, KEYWORDS, LOCATOR_MEANING, in_text
from .index import PlanIndex

Kind = str  # keyword | action | target | type | variable | step | site | procedure | module | snippet


@dataclass(frozen=True)
class Item:
    """One completion: the label shown, what it is, a detail line, and the text inserted (a snippet when
    ``snippet``)."""

    label: str
    kind: Kind
    detail: str = ""
    documentation: str = ""
    insert: str | None = None
    snippet: bool = False


ITEM_SNIPPETS = (
    ("plan", 'plan "${1:What this plan does}"', "the first line: the task"),
    ("goal", 'goal "${1:The goal in more words}"', "a longer statement of the task"),
    ("use", "use ${1:web}", "import procedures (the stdlib, or a file)"),
    ("site", 'site ${1:name} = "${2:http://127.0.0.1:8765}"', "an origin the plan may visit"),
    ("input", "input ${1:name}: ${2:text}", "a typed parameter"),
    ("define step", 'define step ${1:name}(${2}) "${3:What it does}":\n    ${0}', "a reusable procedure"),
    ("step", 'step ${1:id} "${2:What this step does}"', "one unit of work"),
)

ACTION_SNIPPETS = {
    "goto": 'goto ${1:site} "${2:/}"',
    "click": 'click ${1:button} "${2:Name}"',
    "fill": 'fill ${1:label} "${2:Field}" with ${3:value}',
    "press": 'press "${1:Enter}"',
    "select": 'select ${1:combobox} "${2:Name}" with ${3:value}',
    "check": 'check ${1:checkbox} "${2:Name}"',
    "uncheck": 'uncheck ${1:checkbox} "${2:Name}"',
    "hover": 'hover ${1:link} "${2:Name}"',
    "scroll": "scroll ${1:down}",
    "scroll_to": 'scroll to ${1:heading} "${2:Name}"',
    "wait": "wait ${1:1}",
    "wait_for": 'wait for ${1:heading} "${2:Name}"',
    "back": "back",
    "forward": "forward",
    "tab_open": "tab open",
    "tab_switch": "tab switch ${1:0}",
    "tab_close": "tab close",
    "extract": 'extract ${1:text} "${2:Name}"',
    "assert": "assert ${1:condition}",
    "assert_visible": 'assert visible ${1:text} "${2:Name}"',
    "answer": "answer ${1:value}",
}

TYPES = ("text", "number", "bool", "url", "secret")
_PARTIAL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_TARGET_BEFORE = re.compile(
    r"(?:^\s+(?:click|check|uncheck|hover|extract|fill|select|scroll\s+to|wait\s+for|assert\s+visible)"
    r"|\bwithin|^\s+press\s+\"[^\"]*\"\s+in)\s+$"
)
_VALUE_BEFORE = re.compile(
    r"(?:\bif|\bwith|^\s+answer|^\s+assert|\bin|\band|\bor|\bnot|==|!=|<=|>=|<|>|\bcontains|\(|,|=)\s*$"
)


def _action_items() -> list[Item]:
    items = []
    for op, cls in ast.Action.registry.items():
        label = op.replace("_", " ")
        items.append(Item(label, "action", ACTION_SYNTAX.get(op, label), cls.summary, ACTION_SNIPPETS[op], True))
    return items


def _target_items() -> list[Item]:
    out = []
    for kind in ast.TARGET_KINDS:
        doc = LOCATOR_MEANING.get(kind, f"an element with ARIA role `{kind}`, by its accessible name")
        out.append(Item(kind, "target", "target kind", doc))
    return out


def _type_items() -> list[Item]:
    out = [Item(t, "type", "type", KEYWORDS.get(t, "")) for t in TYPES]
    out.append(Item("list of", "type", "list of T", KEYWORDS["list"], "list of ${1:text}", True))
    out.append(
        Item("record", "type", "record {name: T, ...}", KEYWORDS["record"], "record {${1:name}: ${2:text}}", True)
    )
    return out


def _names(index: PlanIndex, line: int) -> list[Item]:
    """The variables readable on ``line``: the procedure's parameters inside a procedure, else the inputs,
    the step outputs and the step's loop variable; ``page`` everywhere."""
    owner = index.step_at(line)
    items: list[Item] = []
    if isinstance(owner, ast.Define):
        for p in owner.params:
            items.append(Item(p.name.name, "variable", f"parameter: {ty.show(ty.from_node(p.type))}"))
    else:
        for inp in index.plan.inputs:
            items.append(Item(inp.name.name, "variable", f"input: {ty.show(ty.from_node(inp.type))}"))
        for step in index.plan.steps:
            if owner is step:
                continue
            t = ty.from_node(step.output) if step.output is not None else None
            if t is not None and step.loop is not None:
                t = ("list", t)
            detail = f"output of step: {ty.show(t)}" if step.output is not None else "step (no declared output)"
            items.append(Item(step.id.name, "step", detail, step.intent.text if step.intent else ""))
        if isinstance(owner, ast.Step) and owner.loop is not None:
            items.append(Item(owner.loop.var.name, "variable", "loop variable"))
    items.append(Item("page", "variable", "built-in: record {title: text, url: url}", "`page.url`, `page.title`"))
    return items


def _procedure_items(index: PlanIndex) -> list[Item]:
    items = []
    for name, sym in index.procedures().items():
        define = sym.node
        if not isinstance(define, ast.Define):
            continue
        args = ", ".join(f"${{{i}:{p.name.name}}}" for i, p in enumerate(define.params, start=1))
        origin = "this plan" if sym.place is None or sym.place.path is None else sym.place.path
        doc = (define.intent.text if define.intent else "") + f"\n\nfrom {origin}"
        items.append(Item(name, "procedure", define_header(define), doc, f"{name}({args})", True))
    return items


def _module_items(folder: Path | None) -> list[Item]:
    items = [Item(name, "module", "standard library module") for name in stdlib_modules()]
    if folder is not None and folder.is_dir():
        try:
            files = sorted(p.name for p in folder.iterdir() if p.suffix == ".pa" and p.is_file())
        except OSError:
            files = []
        items += [Item(f'"{name}"', "module", "a plan file beside this one", insert=f'"{name}"') for name in files]
    return items


def complete(index: PlanIndex | None, line_text: str, line: int, column: int, folder: Path | None) -> list[Item]:
    """The completions at a 1-based position of a line (the text as typed, parsed or not)."""
    prefix = line_text[: max(column - 1, 0)]
    where = in_text(line_text, column)
    if where == "comment":
        return []
    if where == "string":
        open_brace = prefix.rfind("{")
        if open_brace > prefix.rfind("}") and index is not None:
            return [i for i in _names(index, line) if i.kind in ("variable", "step")]
        return []
    partial = _PARTIAL.search(prefix)
    before = prefix[: partial.start()] if partial else prefix
    stripped = before.strip()
    indented = before[:1] in (" ", "\t")
    names = _names(index, line) if index is not None else []
    if not stripped:
        if indented:
            return _action_items()
        return [
            Item(label, "snippet", detail, KEYWORDS.get(label.split()[0], ""), text, True)
            for label, text, detail in ITEM_SNIPPETS
        ]
    if re.fullmatch(r"(?:step|input|site|define\s+step)\s+", before) or re.search(r"\bfor\s+$", before):
        return []  # a new name is being written
    if re.fullmatch(r"use\s+", before):
        return _module_items(folder)
    if re.search(r"(?:^input\s+\w+\s*:|->|\bas|\bof|^define\s+step\s+\w+\(.*:|\{.*:)\s*$", before):
        return _type_items()
    if re.fullmatch(r"\s+goto\s+", before):
        sites = [Item(s.name.name, "site", f"site = {s.url.text}") for s in index.plan.sites] if index else []
        return sites + [i for i in names if i.kind == "variable"]
    if _TARGET_BEFORE.search(before):
        return _target_items()
    if re.search(r"^step\s+\w+.*\bafter\s+(?:\w+\s*,\s*)*$", before):
        return [i for i in names if i.kind == "step"]
    if re.search(r"^step\s+\w+.*:\s*$", before):
        return _procedure_items(index) if index is not None else []
    if re.search(r"^step\s+\w+\s+(?:\"(?:[^\"\\]|\\.)*\"\s*)?(?:->\s*[\w ]+?\s*)?$", before):
        return [Item(w, "keyword", KEYWORDS.get(w, "")) for w in ("after", "for", "if")]
    if re.search(r"^\s+scroll\s+$", before):
        return [Item(w, "keyword", "direction") for w in ("up", "down", "to")]
    if re.search(r"^\s+tab\s+$", before):
        return [Item(w, "keyword", ACTION_SYNTAX[f"tab_{w}"]) for w in ("open", "switch", "close")]
    if _VALUE_BEFORE.search(before):
        return names
    words = [Item(w, "keyword", d) for w, d in KEYWORDS.items() if w not in TYPES]
    return names + words
