"""The expression visitor (planact.syntax.visitor): dispatch, its errors, and the walk over sub-expressions."""

import typing

import pytest

from planact import parse
from planact.lang.deps import expr_refs
from planact.syntax import ast
from planact.syntax.visitor import ExprVisitor, children


def _condition(text: str) -> object:
    plan = parse(f'plan "p"\n\ninput a: number = 1\n\nstep s "S" if {text}\n')
    return plan.steps[0].condition


class _Depth(ExprVisitor):
    """How deep an expression nests, counting from ``start``; leaves are visited generically."""

    def visit_Not(self, e, start):
        return self.visit(e.operand, start + 1)

    def visit_Compare(self, e, start):
        return max(self.visit(e.left, start + 1), self.visit(e.right, start + 1))

    def generic_visit(self, e, start):
        return start


def test_visit_calls_the_method_named_after_the_class_with_the_extra_arguments():
    assert _Depth().visit(_condition("not a < 3"), 10) == 12
    assert _Depth().visit(ast.NumberLit(value=1), 5) == 5


def test_a_kind_without_a_method_is_an_error_naming_the_method():
    class OnlyRefs(ExprVisitor):
        def visit_Ref(self, e):
            return e.name

    assert OnlyRefs().visit(ast.Ref(name="x")) == "x"
    with pytest.raises(TypeError, match="OnlyRefs has no visit_NumberLit"):
        OnlyRefs().visit(ast.NumberLit(value=1))


def test_a_non_expression_is_an_error():
    with pytest.raises(TypeError, match="not an expression: 'text'"):
        ExprVisitor().visit("text")
    with pytest.raises(TypeError, match="not an expression"):
        ExprVisitor().visit_children(ast.Ident(name="x"))


def test_an_exhaustive_visitor_must_handle_every_kind_when_it_is_defined():
    with pytest.raises(TypeError, match="Partial must handle every expression; it lacks visit_StringLit, "):

        class Partial(ExprVisitor, exhaustive=True):
            def visit_Ref(self, e):
                return e


def test_a_method_named_after_no_expression_class_is_an_error_when_it_is_defined():
    with pytest.raises(TypeError, match=r"Typo.visit_Comapre: `Comapre` is not an expression class"):

        class Typo(ExprVisitor):
            def visit_Comapre(self, e):
                return e


def test_visit_children_walks_every_sub_expression_in_source_order():
    e = _condition('(a == "{b}-{c.d}" or not [e, f] contains g) and h')
    assert [r.dotted for r in expr_refs(e)] == ["a", "b", "c.d", "e", "f", "g", "h"]


def test_children_follow_the_fields_that_hold_expressions():
    e = _condition("[a, 1] contains (not true)")
    assert isinstance(e, ast.Compare)
    assert list(children(e)) == [e.left, e.right]
    assert list(children(e.left)) == list(e.left.items)
    assert list(children(e.right)) == [e.right.operand]
    assert list(children(ast.StringLit(parts=("x", ast.Ref(name="y"), "z")))) == [ast.Ref(name="y")]
    for leaf in (ast.Ref(name="y", fields=("f",)), ast.NumberLit(value=1), ast.BoolLit(value=True)):
        assert list(children(leaf)) == []


def test_every_kind_of_the_expr_union_is_one_the_visitor_knows():
    union = typing.get_args(typing.get_args(ast.Expr)[0])
    assert set(union) == set(ast.EXPR_NODES)
