"""Every plan in plans/demo runs to success in headless Chromium against the demo shop, with the right outcome."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_exec_e2e import HAVE_BROWSER

from planact.cli import DEMO_SECRETS, main
from planact.demo.server import serve_demo

pytestmark = pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")
DEMO = sorted((Path(__file__).parent.parent / "plans" / "demo").glob("*.pa"))


def _orders(app):
    return [o for s in app.sessions.values() for o in s.orders]


# what each plan must have changed in the shop's server-side state, and what its answer must say
OUTCOMES = {
    "01-cheapest-mouse": (
        lambda app: any(s.cart == {1: 1} and s.user == "alice" for s in app.sessions.values()),
        "Acme Wireless Mouse for 24.09",
    ),
    "02-checkout-with-coupon": (
        lambda app: any(
            o["coupon"] == "SAVE10" and o["items"][0]["quantity"] == 2 and o["shipping"] == "express"
            for o in _orders(app)
        ),
        "confirmed",
    ),
    "03-forum-reply": (
        lambda app: any(len(s.threads[0]["posts"]) == 3 for s in app.sessions.values()),
        "quiet and cheap",
    ),
    "04-order-history": (
        lambda app: any(o["user"] == "alice" and "Monitor" in o["items"][0]["title"] for o in _orders(app)),
        "Order #",
    ),
    "05-filter-and-paginate": (lambda app: True, "9 matches"),
    "06-admin-restock": (lambda app: any(s.stock[1] == 0 for s in app.sessions.values()), "0 in stock"),
    "07-compare-in-tabs": (lambda app: True, "keyboards (35.37) are cheaper"),
    "08-edit-the-cart": (lambda app: any(s.cart == {34: 3} for s in app.sessions.values()), "-> 50.97"),
}


def test_there_are_at_least_eight_demo_plans_of_5_to_30_steps():
    from planact import parse

    assert len(DEMO) >= 8 and set(OUTCOMES) == {p.stem for p in DEMO}
    for path in DEMO:
        plan = parse(path.read_text())
        assert 5 <= len(plan.steps) <= 30 and all(s.grounded for s in plan.steps), path.name


@pytest.mark.parametrize("path", DEMO, ids=[p.stem for p in DEMO])
def test_demo_plan_succeeds(tmp_path, path):
    check, answer = OUTCOMES[path.stem]
    with serve_demo() as server:
        plan = tmp_path / path.name
        plan.write_text(path.read_text().replace("http://127.0.0.1:8765", server.url))
        args = ["exec", "--json", str(plan), "--runs", str(tmp_path)]
        for name, value in DEMO_SECRETS.items():
            if f"input {name}: secret" in path.read_text():
                args += ["--secret", f"{name}={value}"]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        summary = json.loads(result.stdout)
        assert result.exit_code == 0, summary
        assert answer in str(summary["answer"])
        assert check(server.app), "the shop's state does not show the task's outcome"
