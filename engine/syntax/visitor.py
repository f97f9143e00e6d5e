"""One way to walk the expressions of a plan.

Every pass over expressions (printing, evaluating, inferring types, collecting
references, writing values in) is an :class:`ExprVisitor`: a class with a
``visit_<NodeClass>`` method for each kind of expression it handles.
:meth:`ExprVisitor.visit` calls the method for the node's class, handing on
any further arguments, and :meth:`ExprVisitor.generic_visit` for a node no
method handles: by default that is an error; a pass that only cares about some
kinds sets ``generic_visit = ExprVisitor.visit_children`` to walk through the
others.

A new kind of expression is written once, in :mod:`planact.syntax.ast` (its
class, and its place in ``Expr`` and ``EXPR_NODES``).  The walk over its
sub-expressions follows from its fields (:func:`children`); a pass declared
with ``exhaustive=True`` fails when it is defined, naming the method it lacks,
so no pass that must understand every expression can miss the new one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from .ast import EXPR_NODES, Node

_NAMES = {cls.__name__: cls for cls in EXPR_NODES}
_NAMED = re.compile(r"\b(?:" + "|".join(_NAMES) + r")\b")


def _child_fields(cls: type[Node]) -> tuple[str, ...]:
    """The fields of an expression class that hold sub-expressions (their type names one)."""
    return tuple(
        name
        for name, info in cls.model_fields.items()
        if name not in ("span", "kind") and _NAMED.search(str(info.annotation))
    )


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {cls: _child_fields(cls) for cls in EXPR_NODES}


def children(node: Node) -> Iterator[Node]:
    """The sub-expressions of an expression, in the order of its fields (a string's
    interpolated references included)."""
    for name in _CHILD_FIELDS[node.__class__]:
        value = getattr(node, name)
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, Node):
                    yield item
        elif value is not None:
            yield value


class ExprVisitor:
    """Base of a pass over expressions: :meth:`visit` calls ``visit_<NodeClass>(node, *args)``.

    Subclasses name their methods after the classes of :data:`planact.syntax.ast.EXPR_NODES`
    (a ``visit_`` method named after anything else is an error when the class is defined).
    ``class P(ExprVisitor, exhaustive=True)`` requires a method for every kind.
    """

    _methods: ClassVar[dict[type, Callable[..., Any]]] = {}

    def __init_subclass__(cls, exhaustive: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attr in dir(cls):
            if attr.startswith("visit_") and attr != "visit_children" and attr[6:] not in _NAMES:
                raise TypeError(f"{cls.__name__}.{attr}: `{attr[6:]}` is not an expression class (ast.EXPR_NODES)")
        missing = [f"visit_{name}" for name in _NAMES if not hasattr(cls, "visit_" + name)]
        if exhaustive and missing:
            raise TypeError(f"{cls.__name__} must handle every expression; it lacks {', '.join(missing)}")
        # an expression kind without a method of its own goes straight to generic_visit
        cls._methods = {node: getattr(cls, "visit_" + name, cls.generic_visit) for name, node in _NAMES.items()}

    def visit(self, node: Any, *args: Any) -> Any:
        """The result of this pass's method for ``node``'s class."""
        method = self._methods.get(node.__class__)
        if method is None:  # not an expression
            return self.generic_visit(node, *args)
        return method(self, node, *args)

    def generic_visit(self, node: Any, *args: Any) -> Any:
        """Called for a node no method handles: an error, unless a subclass says otherwise."""
        if node.__class__ in _CHILD_FIELDS:
            raise TypeError(f"{type(self).__name__} has no visit_{type(node).__name__}")
        raise TypeError(f"not an expression: {node!r}")

    def visit_children(self, node: Any, *args: Any) -> None:
        """Visit each sub-expression of ``node`` (results dropped); an error for a non-expression."""
        fields = _CHILD_FIELDS.get(node.__class__)
        if fields is None:
            raise TypeError(f"not an expression: {node!r}")
        visit = self.visit
        for name in fields:  # what children() yields, without a generator on this hot path
            value = getattr(node, name)
            if value.__class__ is tuple:
                for item in value:
                    if isinstance(item, Node):
                        visit(item, *args)
            elif value is not None:
                visit(value, *args)
