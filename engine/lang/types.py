"""Types as the checker sees them: small hashable values.

``"text" | "number" | "bool" | "url" | "secret"``, ``("list", T)``,
``("record", ((name, T), ...))``, and ``None`` for "unknown" (an earlier
error, or a value only known at run time), which is compatible with anything
so that one mistake does not cascade into many findings.
"""

from __future__ import annotations

from ..syntax import ast

T = str | tuple | None

TEXT, NUMBER, BOOL, URL, SECRET = "text", "number", "bool", "url", "secret"
PAGE: T = ("record", (("title", TEXT), ("url", URL)))


def from_node(node: ast.ScalarType | ast.ListType | ast.RecordType | None) -> T:
    """The checker type of a type written in a plan."""
    if node is None:
        return None
    if isinstance(node, ast.ScalarType):
        return node.name
    if isinstance(node, ast.ListType):
        return ("list", from_node(node.item))
    return ("record", tuple(sorted((f.name.name, from_node(f.type)) for f in node.fields)))


def show(t: T) -> str:
    """A type as the language writes it."""
    if t is None:
        return "unknown"
    if isinstance(t, str):
        return t
    if t[0] == "list":
        return "list of " + show(t[1])
    return "record {" + ", ".join(f"{n}: {show(ft)}" for n, ft in t[1]) + "}"


def is_textual(t: T) -> bool:
    return t is None or t in (TEXT, URL)


def assignable(value: T, target: T) -> bool:
    """Can a value of type ``value`` be used where ``target`` is expected?"""
    if value is None or target is None or value == target:
        return True
    if isinstance(value, str) and isinstance(target, str):
        # url is a kind of text; a text may be given where a url or a secret is expected
        return (value, target) in {(URL, TEXT), (TEXT, URL), (TEXT, SECRET)}
    if isinstance(value, tuple) and isinstance(target, tuple) and value[0] == target[0]:
        if value[0] == "list":
            return assignable(value[1], target[1])
        fields = dict(value[1])
        return all(name in fields and assignable(fields[name], ft) for name, ft in target[1])
    return False


def comparable(a: T, b: T) -> bool:
    """Can ``a == b`` be asked?"""
    return assignable(a, b) or assignable(b, a)


def contains_secret(t: T) -> bool:
    if t == SECRET:
        return True
    if isinstance(t, tuple):
        return contains_secret(t[1]) if t[0] == "list" else any(contains_secret(ft) for _, ft in t[1])
    return False
