"""Parser: the tree it builds, its spans, and its diagnostics."""

import pytest

from planact import PlanError, parse
from planact.syntax import ast

PLAN = """\
plan "Buy a mouse"  # the task
site shop = "http://127.0.0.1:8765"
input query: text = "mouse"
input budget: number = 30

step search "Search for {query}":
    goto shop "/search"
    fill searchbox "Search" with query
    press "Enter" in searchbox "Search"

step price "Read the first price" -> number:
    extract text first within css ".result" nth 2 as number

step add "Add it" after search, price if price <= budget and not (query == ""):
    click button "Add to cart"
"""


def test_tree_shape_and_values():
    plan = parse(PLAN)
    assert plan.title.text == "Buy a mouse"
    assert [s.name.name for s in plan.sites] == ["shop"]
    assert [i.name.name for i in plan.inputs] == ["query", "budget"]
    search, price, add = plan.steps
    assert search.intent.parts == ("Search for ", ast.Ref(name="query"))
    assert [a.op for a in search.actions] == ["goto", "fill", "press"]
    assert search.actions[2].target.kind == "searchbox"
    extract = price.actions[0]
    assert extract.target.pick == "first" and extract.target.within.pick == "nth" and extract.target.within.index == 2
    assert price.output == ast.ScalarType(name="number")
    assert [i.name for i in add.after] == ["search", "price"]
    assert isinstance(add.condition, ast.And) and isinstance(add.condition.items[1], ast.Not)
    assert plan.trailing == "the task"


def test_every_node_carries_its_span():
    plan = parse(PLAN)
    fill = plan.steps[0].actions[1]
    assert (fill.span.line, fill.span.column) == (8, 5)
    ref = plan.steps[0].intent.parts[1]
    assert (ref.span.line, ref.span.column, ref.span.end_column) == (6, 25, 32)
    assert (plan.steps[2].after[1].span.line, plan.steps[2].after[1].span.column) == (14, 33)


def test_spans_do_not_take_part_in_equality():
    a = parse(PLAN)
    b = parse("\n\n" + PLAN.replace("    ", "        "))
    assert a == b
    assert a.steps[0].span.line != b.steps[0].span.line


def test_string_escapes_and_interpolation():
    plan = parse('plan "a \\"quoted\\" \\{literal\\} {x.y} tab\\t"\n')
    assert plan.title.parts == ('a "quoted" {literal} ', ast.Ref(name="x", fields=("y",)), " tab\t")


def test_keywords_are_names_where_the_grammar_expects_a_name():
    plan = parse('plan "x"\nstep check "Check it" after step\nstep step "y"\n')
    assert [s.id.name for s in plan.steps] == ["check", "step"]


def test_comments_attach_to_their_lines():
    plan = parse(
        '# head\nplan "x"\n# before step\nstep a "A":  # on a\n    # before back\n    back  # on back\n# tail\n'
    )
    step = plan.steps[0]
    assert plan.comments == ("head",)
    assert step.comments == ("before step",) and step.trailing == "on a"
    assert step.actions[0].comments == ("before back",) and step.actions[0].trailing == "on back"
    assert plan.end_comments == ("tail",)


def test_hash_inside_a_string_is_not_a_comment():
    plan = parse('plan "issue #12"  # real\n')
    assert plan.title.text == "issue #12" and plan.trailing == "real"


@pytest.mark.parametrize(
    ("source", "code", "line", "column"),
    [
        ('plan "x"\nstep a "y":\n    clik button "z"\n', "PA101", 3, 5),
        ('plan "x"\nstep a "y":\n    click buton "z"\n', "PA102", 3, 11),
        ('plan "x\n', "PA100", 1, 6),
        ('plan "x"\nstep a "y" after\n', "PA100", 2, 17),
        ('plan "x"\nstep a "{y":\n    back\n', "PA104", 2, 9),
        ('plan "x"\nstep a "\\q"\n', "PA104", 2, 9),
        ("", "PA100", 1, 1),
        ("step a", "PA100", 1, 1),
        ('plan "x"\nstep a "y":\n        back\n    forward\n', "PA100", 4, 1),
    ],
)
def test_syntax_errors_have_codes_and_positions(source, code, line, column):
    with pytest.raises(PlanError) as info:
        parse(source)
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == (code, line, column)


def test_syntax_error_names_expected_tokens_in_words():
    with pytest.raises(PlanError) as info:
        parse('plan "x"\nstep a "y" after\n')
    assert info.value.diagnostics[0].message == "unexpected end of line; expected a name"


def test_unknown_action_suggests_the_closest():
    with pytest.raises(PlanError) as info:
        parse('plan "x"\nstep a "y":\n    clik button "z"\n')
    assert info.value.diagnostics[0].help == "did you mean `click`?"


def test_plans_parsed_in_several_threads_at_once_parse_as_they_do_alone():
    # the indentation post-lexer keeps state while it parses: threads (the language server's workers) must
    # not share one parser, or a parse reads another's indentation
    from concurrent.futures import ThreadPoolExecutor

    def plan(n: int) -> str:
        steps = "".join(f'step s{i} "Step {i}":\n    goto "http://127.0.0.1:1/{i}"\n\n' for i in range(n))
        return f'plan "p{n}"\n\n{steps}' + ('step broken "x" if\n' if n % 2 else "")

    def outcome(text: str) -> object:
        try:
            return len(parse(text).steps)
        except PlanError as err:
            return [(d.code, d.span.line) for d in err.diagnostics]

    texts = [plan(n) for n in range(200, 260)]
    alone = [outcome(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(outcome, texts)) == alone
