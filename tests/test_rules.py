"""The rule registry: the analysis computes facts, each lint rule's file holds its check, and a new
rule is a new file in check/rules/."""

import inspect
import re
import sys
import textwrap
from pathlib import Path

from planact import parse
from planact.check import all_rules, analysis, check_plan, rule, rules
from planact.check.analysis import Analysis


def test_every_lint_rule_holds_its_own_check_in_its_own_file():
    for code, cls in all_rules().items():
        home = Path(inspect.getfile(cls))
        assert home.parent == Path(rules.__file__).parent and home.name.startswith(code.lower() + "_"), code
        if cls.origin == "lint":
            assert "check" in vars(cls), f"{code} is documentation only: its file has no check()"
            assert Path(inspect.getfile(cls.check)) == home, code


def test_the_analysis_reports_no_code_itself():
    assert re.findall(r"PA\d{3}", Path(analysis.__file__).read_text(encoding="utf-8")) == []


def test_the_analysis_records_facts_in_the_order_it_meets_them():
    plan = parse(
        textwrap.dedent("""\
        plan "facts"
        define step go(n: number) "Go to {n}"
        input query: text
        step a "Search {qeury}" if query
        step b: go("two", n=3)
    """)
    )
    facts = Analysis(plan).run()
    assert [(r.ref.name, r.symbol.kind if r.symbol else None, r.in_text) for r in facts.reads] == [
        ("n", "param", True),
        ("qeury", None, True),
        ("query", "input", False),
    ]
    assert [(u.place, u.given, u.wanted) for u in facts.uses] == [("condition", "text", "bool")]
    (site,) = facts.calls
    assert site.procedure is not None and site.procedure.module is None
    assert [(b.param, b.problem, b.type) for b in site.bindings] == [("n", None, "text"), ("n", "twice", None)]
    assert facts.used == {"query"} and facts.used_procedures == {"go"}


RULE = '''\
"""PA999: shouted intent."""

from planact.check.rule import Rule


class ShoutedIntent(Rule):
    """What: an intent written in capitals.

    Why: a test rule.

    Example: `step s "OPEN THE CART"`
    """

    code = "PA999"
    name = "shouted-intent"
    severity = "warning"

    def check(self, analysis):
        for step in analysis.plan.steps:
            if step.intent is not None and step.intent.text.isupper():
                yield self.diagnostic(step.intent.span, f"`{step.id.name}` shouts")
'''


def test_a_rule_file_added_to_the_rules_package_is_registered_and_run(tmp_path, monkeypatch):
    all_rules()  # the shipped rules are registered before the registry is swapped for a copy
    (tmp_path / "pa999_shouted_intent.py").write_text(RULE, encoding="utf-8")
    monkeypatch.setattr(rules, "__path__", [*rules.__path__, str(tmp_path)])
    monkeypatch.setattr(rule, "REGISTRY", dict(rule.REGISTRY))
    monkeypatch.setattr(all_rules, "_loaded", False)
    try:
        found = all_rules()
        assert list(found)[-1] == "PA999" and found["PA999"].explain().startswith("PA999 shouted-intent (warning")
        plan = parse('plan "x"\nstep s "OPEN THE CART"\nstep t "Open the cart"\n')
        assert [(d.code, d.message, d.span.line) for d in check_plan(plan)] == [("PA999", "`s` shouts", 2)]
    finally:
        sys.modules.pop(f"{rules.__name__}.pa999_shouted_intent", None)
    monkeypatch.undo()
    assert "PA999" not in all_rules()
