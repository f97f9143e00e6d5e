"""PA301: operator types."""

import re
from collections.abc import Iterator

from ...lang import types as ty
from ...syntax import ast
from ...syntax.diagnostics import Diagnostic
from ..rule import Rule


class OperatorTypes(Rule):
    """What: an operator gets operands of the wrong types: `<` on text, `==` between a number
    and text, `and`/`or`/`not` on non-bool values, `contains` on a number, a list literal
    with mixed item types, `matches` with an invalid regular expression; and any comparison
    (`== != < <= > >= contains matches`) with a `secret` on either side.

    Why: the condition could never mean what it says.  A condition on a secret is refused
    whatever the operator: each run that takes or skips a step tells something about the
    secret's value (`password == "..."`, `password contains "a"`), so asking enough of them
    reveals it.

    Example: `step add "Add it" if price < "30"` with `price -> number`.

    Use instead: `if price < 30`; a secret is only filled into a field (`fill label "Password"
    with password`) or passed to a parameter of type secret.
    """

    code = "PA301"
    name = "operator-types"

    def check(self, analysis) -> Iterator[Diagnostic]:
        for use in analysis.uses:
            if use.place == "items":
                known = [t for t in use.parts if t is not None]
                if any(not ty.comparable(known[0], t) for t in known[1:]):
                    yield self.diagnostic(
                        use.value.span,
                        "list items have different types: " + ", ".join(sorted({ty.show(t) for t in known})),
                        'a list holds values of one type: write every item as text (`"3"`) or every one as a number',
                    )
            elif use.place == "operand" and use.given not in (None, ty.BOOL):
                word = "not" if isinstance(use.owner, ast.Not) else use.owner.kind
                yield self.diagnostic(
                    use.value.span,
                    f"`{word}` needs a bool, not a {ty.show(use.given)}",
                    'compare the value to get a bool: `x == "..."`, `n > 0`, `t contains "..."`',
                )
            elif use.place == "comparison":
                problem = _comparison_problem(use.value, *use.parts)
                if problem:
                    yield self.diagnostic(use.value.span, *problem)


def _comparison_problem(e: ast.Compare, left: ty.T, right: ty.T) -> tuple[str, str] | None:
    """What is wrong with the operands of a comparison (message, help), if anything."""
    if ty.contains_secret(left) or ty.contains_secret(right):  # every operator, not only `contains`
        return (
            f"`{e.op}` on a secret: a condition on a secret's value reveals it, one probe at a time",
            'a secret is only filled into a field (`fill label "Password" with password`) or passed to a '
            "parameter of type secret; check what the page shows instead (`assert visible ...`)",
        )
    if left is None or right is None:
        return None
    if e.op in ("==", "!="):
        if not ty.comparable(left, right):
            return (
                f"cannot compare a {ty.show(left)} with a {ty.show(right)}",
                'compare values of one type: numbers with numbers (`price == 30`), text with text (`t == "30"`)',
            )
    elif e.op in ("<", "<=", ">", ">="):
        if left != ty.NUMBER or right != ty.NUMBER:
            return (
                f"`{e.op}` compares numbers, not a {ty.show(left)} and a {ty.show(right)}",
                'make both sides numbers: a number literal (`30`, not `"30"`), a step `-> number`, `as number`',
            )
    elif e.op == "contains":
        if isinstance(left, tuple) and left[0] == "list":
            if not ty.comparable(left[1], right):
                return (
                    f"a {ty.show(left)} cannot contain a {ty.show(right)}",
                    f"look for a {ty.show(left[1])}: the items of the list are of that type",
                )
        elif not (ty.is_textual(left) and ty.is_textual(right)):
            return (
                "`contains` needs text or a list on the left and a matching value, "
                f"not {ty.show(left)} and {ty.show(right)}",
                '`contains` asks whether text holds text (`page.title contains "Cart"`) or a list holds an item',
            )
    elif e.op == "matches":
        if not (ty.is_textual(left) and ty.is_textual(right)):
            return (
                f"`matches` needs text and a pattern, not {ty.show(left)} and {ty.show(right)}",
                '`matches` tests text against a regular expression: `page.url matches "/item/[0-9]+"`',
            )
        if isinstance(e.right, ast.StringLit) and not e.right.refs:
            try:
                re.compile(e.right.text)
            except re.error as err:
                return (
                    f"invalid regular expression: {err}",
                    "the pattern is a Python regular expression: check its brackets and escapes (`\\\\.` for a dot)",
                )
    return None
