"""The Lark form of a decoding grammar, for llguidance (vLLM's guidance backend).

Terminals are written as regexes (:func:`.regex.to_regex`, terminal references
inlined); literals stay separate tokens because llguidance's lexer is greedy.
"""

from __future__ import annotations

from .bnf import expression, rule_order
from .nodes import Rules
from .regex import to_regex


def llguidance_lark(rules: Rules, comment: str) -> str:
    """The grammar in llguidance's Lark dialect, under a ``//`` comment line; the root rule is ``start``."""
    lines = [f"// {comment}"]
    for name in rule_order(rules):
        body = rules.rules[name]
        if name in rules.terminals:
            lines.append(f"{name}: /{to_regex(body, rules.rules)}/")
        else:
            lines.append(f"{'start' if name == rules.root else name}: {expression(body, lark=True)}")
    return "\n".join(lines) + "\n"
