"""Property tests: the printer round-trips every tree and is idempotent; the parser never crashes."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import plans

from planact import PlanError, parse
from planact.syntax.format import format_plan

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(plans)
def test_parse_of_format_is_identity(plan):
    text = format_plan(plan)
    assert parse(text) == plan, text


@SETTINGS
@given(plans)
def test_format_is_idempotent(plan):
    once = format_plan(plan)
    assert format_plan(parse(once)) == once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_parser_reports_diagnostics_never_crashes(text):
    try:
        parse(text)
    except PlanError as err:
        assert err.diagnostics and all(d.code.startswith("PA1") for d in err.diagnostics)


@settings(max_examples=200, deadline=None)
@given(plans, st.data())
def test_mutated_plans_never_crash(plan, data):
    text = format_plan(plan)
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 8)))
    junk = data.draw(st.text(max_size=4))
    try:
        parse(text[:i] + junk + text[j:])
    except PlanError as err:
        assert err.diagnostics
