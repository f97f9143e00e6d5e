"""Comments: found by a string-aware scan of the source and attached to the line-level nodes they belong to.

A comment on the line where a node starts is that node's trailing comment; a
comment on a line of its own leads the next node (or ends the plan).
"""

from __future__ import annotations

import bisect
import re

from . import ast

_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|(#[^\n]*)')


def _comment_text(raw: str) -> str:
    """A comment's text: without the ``#``, one space after it, and trailing blanks (indentation inside is kept)."""
    text = raw[1:].rstrip()
    return text[1:] if text.startswith(" ") else text


def comments_in(text: str) -> list[tuple[int, int, str]]:
    """(line, column, text) of every comment; ``#`` inside strings is not one."""
    found = []
    if "\r" in text:  # line ends as the parser counts them: \r\n, \n or a lone \r
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for lineno, line in enumerate(text.split("\n"), start=1):
        if "#" not in line:
            continue
        for m in _STRING_OR_COMMENT.finditer(line):
            if m.group(1) is not None:
                found.append((lineno, m.start(1) + 1, _comment_text(m.group(1))))
    return found


def attach_comments(plan: ast.Plan, comments: list[tuple[int, int, str]]) -> ast.Plan:
    """Give each comment to the line-level node it ends (same line) or precedes."""
    if not comments:
        return plan
    lines: list[tuple[int, tuple, ast.Line]] = []  # (start line, path, node)
    for group in ("uses", "sites", "inputs", "defines", "steps"):
        for i, item in enumerate(getattr(plan, group)):
            lines.append((item.span.line, (group, i), item))
            for j, action in enumerate(getattr(item, "actions", None) or ()):
                lines.append((action.span.line, (group, i, j), action))
    lines.sort(key=lambda entry: entry[0])
    starts = [entry[0] for entry in lines]
    leading: dict[tuple, list[str]] = {}
    trailing: dict[tuple, str] = {}
    end_comments: list[str] = []
    header_line = plan.title.span.line
    head_leading: list[str] = []
    head_trailing = None
    for line, _column, text in comments:
        if line < header_line:
            head_leading.append(text)
            continue
        if line == header_line or (plan.goal is not None and line == plan.goal.span.line):
            head_trailing = text if head_trailing is None else f"{head_trailing} {text}"
            continue
        k = bisect.bisect_left(starts, line)
        if k < len(lines) and starts[k] == line:
            trailing[lines[k][1]] = text
        elif k < len(lines):
            leading.setdefault(lines[k][1], []).append(text)
        else:
            end_comments.append(text)

    def with_comments(node: ast.Line, path: tuple) -> ast.Line:
        update: dict = {}
        if path in leading:
            update["comments"] = tuple(leading[path])
        if path in trailing:
            update["trailing"] = trailing[path]
        return node.model_copy(update=update) if update else node

    update: dict = {"comments": tuple(head_leading), "trailing": head_trailing, "end_comments": tuple(end_comments)}
    for group in ("uses", "sites", "inputs", "defines", "steps"):
        items = []
        for i, item in enumerate(getattr(plan, group)):
            actions = getattr(item, "actions", None)
            if actions:
                new_actions = tuple(with_comments(a, (group, i, j)) for j, a in enumerate(actions))
                if any(a is not b for a, b in zip(new_actions, actions, strict=True)):
                    item = item.model_copy(update={"actions": new_actions})
            items.append(with_comments(item, (group, i)))
        update[group] = tuple(items)
    return plan.model_copy(update=update)
