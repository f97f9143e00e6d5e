"""An executor grammar narrowed to one page: a ``ref`` target may only name an element the page shows.

The executor sees the page as an accessibility tree whose elements carry
``[ref=eN]``; an answer that names a ref the page does not have is refused
after the model wrote it, and a small model, told so, often writes another
ref that is not there.  Narrowing the grammar makes such an answer impossible
to write: in :func:`narrowed_to_refs` the ``target`` rule's ``ref`` kind is
taken out of ``TARGET_KIND`` and comes back as ``ref "<one of the page's
refs>"``; every other kind of target and the rest of the answer are as in the
page-free grammar.  A page with no refs leaves ``ref`` out altogether.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .nodes import Alt, GrammarError, Lit, Ref, Repeat, Rules, Seq

REF_KIND = "ref"
_KINDS = "TARGET_KIND"
_KINDS_SEEN = "TARGET_KIND_SEEN"  # every kind but ref
_PAGE_REF = "PAGE_REF"
REF_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")  # what an observation's ref looks like (e12); nothing to escape


def narrowed_to_refs(rules: Rules, refs: Iterable[str]) -> Rules:
    """``rules`` (a grammar holding the plan grammar's ``target`` rule) with ``ref`` targets limited to ``refs``.

    Raises :class:`GrammarError` when the grammar's ``target`` rule is not the shape this expects (a kind,
    an optional string, then the rest) or a ref is not a plain name."""
    names = sorted(set(refs), key=lambda r: (len(r), r))
    for name in names:
        if not REF_NAME.fullmatch(name):
            raise GrammarError(f"a page's ref must be letters, digits, `_` or `-` (at most 32): {name!r}")
    target, kinds = rules.rules.get("target"), rules.rules.get(_KINDS)
    if not (
        isinstance(target, Seq)
        and len(target.items) >= 2
        and target.items[0] == Ref(_KINDS)
        and isinstance(target.items[1], Repeat)
        and isinstance(kinds, Alt)
        and Lit(REF_KIND) in kinds.items
    ):
        raise GrammarError("the grammar has no `target` rule of the form TARGET_KIND STRING? ... to narrow")
    seen = Alt(tuple(k for k in kinds.items if k != Lit(REF_KIND)))
    any_kind = Seq((Ref(_KINDS_SEEN), *target.items[1:]))
    out = {**rules.rules, _KINDS_SEEN: seen}
    terminals = set(rules.terminals) | {_KINDS_SEEN}
    if names:
        out[_PAGE_REF] = Alt(tuple(Lit(f'"{name}"') for name in names))
        terminals.add(_PAGE_REF)
        out["target"] = Alt((any_kind, Seq((Lit(REF_KIND), Lit(" "), Ref(_PAGE_REF), *target.items[2:]))))
    else:
        out["target"] = any_kind
    return Rules(rules=out, terminals=frozenset(terminals), root=rules.root)
