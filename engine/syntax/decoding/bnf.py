"""The GBNF form (llama.cpp) and the EBNF form (xgrammar) of a decoding grammar: both ``root ::= ...``.

A repeated group that holds a counted repeat becomes a rule of its own, as
llama.cpp limits how far it expands them (:func:`_hoisted`).  The rule-body
printer :func:`expression` also writes the bodies of the Lark form
(:mod:`.llguidance`), where tokens stay apart and classes are regexes.
"""

from __future__ import annotations

from .nodes import Alt, Chars, Lit, Node, Ref, Repeat, Rules, Seq, lexeme_seq, parts, refs, suffix
from .regex import to_regex


def rule_order(rules: Rules) -> list[str]:
    """The rules to print: the root first, then what each refers to (rules before terminals), breadth first."""
    order, todo = [], [rules.root]
    while todo:
        name = todo.pop(0)
        if name not in order:
            order.append(name)
            todo += sorted(refs(rules.rules[name]) - set(order), key=lambda n: (n in rules.terminals, n))
    return order


def bnf(rules: Rules, comment: str) -> str:
    """The grammar in GBNF/EBNF, under a ``#`` comment line."""
    rules = _hoisted(rules)
    lines = [f"# {comment}"]
    lines += [f"{_bnf_name(n)} ::= {expression(rules.rules[n], lark=False)}" for n in rule_order(rules)]
    return "\n".join(lines) + "\n"


def _hoisted(rules: Rules) -> Rules:
    """Repeated groups that hold a counted repeat become rules of their own.

    llama.cpp expands ``x{0,n}`` into n rules and refuses a repeat of a group
    whose expansion already made many rules (a product over 2000).
    """
    out, names = dict(rules.rules), {}

    def hoist(owner: str, node: Node) -> Node:
        if isinstance(node, (Seq, Alt)):
            return type(node)(tuple(hoist(owner, i) for i in node.items))
        if not isinstance(node, Repeat):
            return node
        item = hoist(owner, node.item)
        if isinstance(item, (Seq, Alt)) and _has_counted_repeat(item):
            if item not in names:
                names[item] = next(f"{owner}_{k}" for k in range(1, len(out) + 2) if f"{owner}_{k}" not in out)
                out[names[item]] = item
            item = Ref(names[item])
        return Repeat(item, node.min, node.max)

    for owner, body in rules.rules.items():
        out[owner] = hoist(owner, body)
    return Rules(rules=out, terminals=rules.terminals, root=rules.root)


def _has_counted_repeat(node: Node) -> bool:
    if isinstance(node, Repeat):
        return (node.max or 0) > 1 or _has_counted_repeat(node.item)
    return isinstance(node, (Seq, Alt)) and any(_has_counted_repeat(i) for i in node.items)


def _bnf_name(name: str) -> str:
    return name.strip("_").replace("_", "-")


def expression(node: Node, lark: bool, level: int = 0) -> str:
    """A rule body in GBNF/EBNF, or in Lark when ``lark`` (literals kept apart, classes as regexes)."""
    if isinstance(node, Alt):
        text = " | ".join(expression(i, lark, 1) for i in node.items)
        return text if level == 0 else f"({text})"
    if isinstance(node, Seq):
        # llguidance lexes greedily: a merged `" with "` would hide `" " "within"`, so Lark keeps tokens apart
        items = node.items if lark else parts(lexeme_seq(node.items))
        text = " ".join(expression(i, lark, 2) for i in items) or '""'
        return text if level < 2 or len(items) <= 1 else f"({text})"
    if isinstance(node, Repeat):
        return expression(node.item, lark, 3) + suffix(node)
    if isinstance(node, Lit):
        return '"' + "".join(_bnf_char(ord(c)) for c in node.text) + '"'
    if isinstance(node, Chars) and lark:
        return f"/{to_regex(node)}/"
    if isinstance(node, Chars):
        body = "".join(_bnf_char(lo, True) + ("" if lo == hi else "-" + _bnf_char(hi, True)) for lo, hi in node.ranges)
        return f"[{'^' if node.negated else ''}{body}]"
    return node.name if lark else _bnf_name(node.name)


def _bnf_char(cp: int, in_class: bool = False) -> str:
    c = chr(cp)
    if c.isascii() and (c.isalnum() or cp == 95 or (not in_class and c.isprintable() and c not in '"\\')):
        return c
    named = {10: "\\n", 9: "\\t", 13: "\\r", 34: '\\"', 92: "\\\\"}
    if cp in named and not in_class:
        return named[cp]
    return f"\\x{cp:02X}" if cp < 0x100 else f"\\u{cp:04X}" if cp < 0x10000 else f"\\U{cp:08X}"
