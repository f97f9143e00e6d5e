"""An executor grammar narrowed to one page: a target may only name an element the page shows.

The executor sees the page as an accessibility tree whose elements carry a
role, often a name, and ``[ref=eN]``.  An answer that names an element the
page does not have is refused after the model wrote it, and a small model,
told so, often writes another that is not there either.  Narrowing the grammar
makes such an answer impossible to write (:func:`narrowed_to_page`):

- ``ref "eN"`` names one of the page's refs, and takes no ``first``/``nth``
  (a ref is one element already);
- a role the page shows (``button``, ``checkbox``, ...) is followed by
  nothing or by one of the names the page shows for that role
  (``button "Submit"``; not a name cut short with ``…``), then the optional
  position;
- the other kinds (roles the page does not show among its refs, ``label``,
  ``placeholder``, ``text``, ``testid``, ``css``) and the rest of the answer
  are as in the page-free grammar;
- an action that only some roles take (:data:`ACTION_ROLES`: ``fill`` a text
  box, ``select`` in a list box, ``check``/``uncheck`` a checkbox or a radio
  button) names, by ref or by role, only an element of those roles: a small
  model otherwise fills a button or a ``clickable`` beside the text box
  (enter-password, email-inbox), and the page refuses the action a turn later.
  Its other kinds (``label``, ``css``, ...) stay free; a ``within`` is any target.

:func:`one_turn` makes the answer of a compact-form turn: one action or
``done``, the line's newline optional.  A model fine-tuned on such turns ends
its answer after the action; a grammar that insists on a newline there (as the
page-free reply grammar does, where every action line ends with one) leaves
it nothing to write but more target (`first within ...`) until its budget
runs out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..ast import ROLE_KINDS, StringLit
from ..format import format_string
from .nodes import Alt, GrammarError, Lit, Node, Ref, Repeat, Rules, Seq

REF_KIND = "ref"
_KINDS = "TARGET_KIND"
_FREE_KINDS = "TARGET_KIND_FREE"  # the kinds that are not narrowed: label, placeholder, text, testid, css
_PAGE_REF = "PAGE_REF"
_TURN = "turn"
REF_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")  # what an observation's ref looks like (e12); nothing to escape
_CHECKABLE = frozenset({"checkbox", "radio"})
ACTION_ROLES: dict[str, frozenset[str]] = {
    "fill": frozenset({"textbox", "searchbox", "spinbutton", "combobox"}),
    "select": frozenset({"combobox", "listbox"}),
    "check": _CHECKABLE,
    "uncheck": _CHECKABLE,
}  # the roles (observation and target kinds) of the elements an action can act on, for the actions that care


def narrowed_to_page(rules: Rules, shown: Mapping[str, tuple[str, str]]) -> Rules:
    """``rules`` (a grammar holding the plan grammar's ``target`` rule) with targets limited to what ``shown``
    (``{ref: (role, name)}``, the page's elements; an empty name for one without) holds.

    Raises :class:`GrammarError` when the grammar's ``target`` rule is not the shape this expects (a kind,
    an optional string, an optional position, the rest) or a ref is not a plain name."""
    for ref in shown:
        if not REF_NAME.fullmatch(ref):
            raise GrammarError(f"a page's ref must be letters, digits, `_` or `-` (at most 32): {ref!r}")
    target, kinds = rules.rules.get("target"), rules.rules.get(_KINDS)
    if not (
        isinstance(target, Seq)
        and len(target.items) >= 3
        and target.items[0] == Ref(_KINDS)
        and isinstance(target.items[1], Repeat)
        and isinstance(target.items[2], Repeat)
        and isinstance(kinds, Alt)
        and Lit(REF_KIND) in kinds.items
    ):
        raise GrammarError("the grammar has no `target` rule of the form TARGET_KIND STRING? position? ... to narrow")
    named, position, rest = target.items[1], target.items[2], target.items[3:]
    names: dict[str, set[str]] = {}
    for role, name in shown.values():
        if role in ROLE_KINDS:
            names.setdefault(role, set()).update([name] if name and not name.endswith("…") else [])  # cut short
    out, terminals = dict(rules.rules), set(rules.terminals)
    for role in sorted(names):
        quoted = sorted(format_string(StringLit(parts=(n,))) for n in names[role])
        if quoted:
            out[f"PAGE_{role.upper()}"] = Alt(tuple(Lit(q) for q in quoted))
            terminals.add(f"PAGE_{role.upper()}")
    kind_lits = [k for k in kinds.items if isinstance(k, Lit)]
    if len(kind_lits) != len(kinds.items):
        raise GrammarError("the grammar's TARGET_KIND is not an alternation of kinds")

    def targets(suffix: str, roles: frozenset[str] | None) -> Alt:
        """The target rule's options, for elements of ``roles`` only (None: any)."""
        takes = (lambda role: True) if roles is None else roles.__contains__
        free = tuple(
            k for k in kind_lits
            if k.text not in names and k.text != REF_KIND and (takes(k.text) or k.text not in ROLE_KINDS)
        )  # fmt: skip
        options: list[Node] = [Seq((Ref(_FREE_KINDS + suffix), named, position, *rest))]
        out[_FREE_KINDS + suffix] = Alt(free)
        terminals.add(_FREE_KINDS + suffix)
        refs = [ref for ref, (role, _) in shown.items() if takes(role)]
        if refs:
            out[_PAGE_REF + suffix] = Alt(tuple(Lit(f'"{ref}"') for ref in sorted(refs, key=lambda r: (len(r), r))))
            terminals.add(_PAGE_REF + suffix)
            options.append(Seq((Lit(REF_KIND), Lit(" "), Ref(_PAGE_REF + suffix), *rest)))
        for role in sorted(filter(takes, names)):
            if f"PAGE_{role.upper()}" in out:
                options.append(
                    Seq((Lit(role), Repeat(Seq((Lit(" "), Ref(f"PAGE_{role.upper()}"))), 0, 1), position, *rest))
                )
            else:
                options.append(Seq((Lit(role), position, *rest)))
        return Alt(tuple(options))

    out["target"] = targets("", None)
    action = out.get("action")
    if isinstance(action, Alt):
        rule_of: dict[frozenset[str], str] = {}  # one target rule per set of roles (check and uncheck share one)
        lines = []
        for line in action.items:
            verb = line.items[0].text if isinstance(line, Seq) and isinstance(line.items[0], Lit) else None
            if verb in ACTION_ROLES and Ref("target") in line.items:
                roles = ACTION_ROLES[verb]
                if roles not in rule_of:
                    rule_of[roles] = f"target_{verb}"
                    out[rule_of[roles]] = targets(f"_{verb.upper()}", roles)
                line = Seq(tuple(Ref(rule_of[roles]) if item == Ref("target") else item for item in line.items))
            lines.append(line)
        out["action"] = Alt(tuple(lines))
    return Rules(rules=out, terminals=frozenset(terminals), root=rules.root)


def one_turn(rules: Rules) -> Rules:
    """``rules`` (a reply grammar) answering one action or ``done``, each with or without its newline."""
    action, done = rules.rules.get("action"), rules.rules.get("done")
    if not (isinstance(action, Alt) and all(isinstance(a, Seq) and a.items[-1:] == (Lit("\n"),) for a in action.items)):
        raise GrammarError("the grammar has no `action` rule of lines that end with a newline")
    if done != Seq((Lit("done"), Lit("\n"))):
        raise GrammarError('the grammar has no `done` rule of the form "done\\n"')
    newline = Repeat(Lit("\n"), 0, 1)
    out = {**rules.rules, _TURN: Alt(tuple(Seq(a.items[:-1]) for a in action.items))}
    out[rules.root] = Alt((Seq((Ref(_TURN), newline)), Seq((Lit("done"), newline))))
    return Rules(rules=out, terminals=rules.terminals, root=rules.root)
