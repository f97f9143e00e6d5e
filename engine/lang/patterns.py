"""Inputs given as text and parsed by patterns.

``input task: record {label: text} matching "Click on the \\"{label}\\" button."``
takes the episode's instruction (any text) and binds ``task.label``.  A pattern
is the language's own string: its literal parts match literally (any run of
whitespace matches any other), each ``{field}`` captures the shortest text that
lets the whole pattern match the whole input.  The first pattern that matches
wins.  A captured field takes the declared field type as a given value does
(:func:`planact.lang.values.given_value`: ``number`` allows ``$`` and thousands
commas, ``bool`` reads true/false/yes/no/1/0, and ``list of T`` splits at commas).
"""

from __future__ import annotations

import re

from ..syntax import ast

_SPACE = re.compile(r"\s+")


def pattern_regex(pattern: ast.StringLit) -> re.Pattern[str]:
    """The regular expression a pattern stands for (each field a named group)."""
    out = []
    for part in pattern.parts:
        if isinstance(part, ast.Ref):
            out.append(f"(?P<{part.name}>.+?)")
        else:
            out.append(r"\s+".join(re.escape(chunk) for chunk in _SPACE.split(part)))
    return re.compile("".join(out), re.DOTALL)


def field_types(inp: ast.Input) -> dict[str, ast.Type]:
    return {f.name.name: f.type for f in inp.type.fields} if isinstance(inp.type, ast.RecordType) else {}


def pattern_problems(inp: ast.Input) -> list[tuple[ast.Span, str]]:
    """What is wrong with an input's patterns, for the checker (PA209)."""
    problems: list[tuple[ast.Span, str]] = []
    if not inp.patterns:
        return problems
    fields = field_types(inp)
    if not isinstance(inp.type, ast.RecordType) and not (
        isinstance(inp.type, ast.ScalarType) and inp.type.name in ("text", "url")
    ):
        problems.append((inp.type.span, "an input with `matching` is `text`, `url` or a record of its fields"))
        return problems
    for name, t in fields.items():
        item = t.item if isinstance(t, ast.ListType) else t
        if not isinstance(item, ast.ScalarType) or item.name == "secret":
            problems.append(
                (t.span, f"field `{name}` of a patterned input must be text, url, number, bool or a list of them")
            )
    for pattern in inp.patterns:
        refs = [p for p in pattern.parts if isinstance(p, ast.Ref)]
        names = [r.name for r in refs]
        for ref in refs:
            if ref.fields:
                problems.append(
                    (ref.span, f"`{{{ref.dotted}}}` in a pattern: a pattern captures fields, write `{{{ref.name}}}`")
                )
            elif ref.name not in fields:
                known = ", ".join(fields) or "none: the input is not a record"
                problems.append((ref.span, f"`{{{ref.name}}}` is not a field of `{inp.name.name}` (fields: {known})"))
            elif names.count(ref.name) > 1:
                problems.append((ref.span, f"field `{ref.name}` is captured twice in one pattern"))
        for missing in [f for f in fields if f not in names]:
            problems.append((pattern.span, f"the pattern does not capture field `{missing}`"))
        for a, b in zip(pattern.parts, pattern.parts[1:], strict=False):
            if isinstance(a, ast.Ref) and isinstance(b, ast.Ref):
                problems.append((b.span, f"`{{{a.name}}}{{{b.name}}}`: two fields need literal text between them"))
    return problems


def show_pattern(pattern: ast.StringLit) -> str:
    return '"' + "".join("{" + p.dotted + "}" if isinstance(p, ast.Ref) else p for p in pattern.parts) + '"'
