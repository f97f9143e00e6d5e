"""Every procedure of the standard library (stdlib/web.pa) runs against the bundled demo shop as written."""

import json
import re
from pathlib import Path

from click.testing import CliRunner
from setup_state import needs_browser

from planact import parse
from planact.cli import main
from planact.demo.server import serve_demo

ROOT = Path(__file__).parent.parent
TOUR = """plan "Every procedure of the standard library, against the demo shop"

use web

site shop = "{url}"

input start: url = "{url}/"
input user: text = "alice"
input password: secret
input address: record {{name: text, street: text, city: text, postal_code: text, country: text}}

step open: open_page(start)

step signin: login(user, password)

step everything: search("o")

step second: next_page()

step first_page: go_to_page(1)

step mice: search("mouse")

step sorted: sort_by("Price: low to high")

step filtered: apply_filter("Mice", 100)

step stocked: only_in_stock()

step titles: read_result_titles()

step price: read_first_price()

step opened: open_first_result()

step name: read_heading()

step back_to_list "Go back to the results":
    back

step chosen: open_result("Initech Vertical Mouse")

step added: add_to_cart(2)

step cart: open_cart()

step coupon: apply_coupon("SAVE10")

step total: read_total()

step rows: read_table()

step checkout "Go to the checkout":
    click link "Checkout"

step shipping: fill_address(address)

step order: place_order()

step signout: logout()

step report "Report":
    answer "{{titles}} {{price}} {{name}} {{total}} {{rows}} {{order}}"
"""
ADDRESS = {"name": "Alice", "street": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "Canada"}


def test_the_tour_calls_every_procedure_of_the_library():
    defined = {d.name.name for d in parse((ROOT / "stdlib" / "web.pa").read_text()).defines}
    called = {s.call.name.name for s in parse(TOUR.format(url="http://127.0.0.1:1")).steps if s.call is not None}
    assert called == defined  # a new procedure joins the tour, and so is run against the shop


@needs_browser
def test_every_library_procedure_runs_against_the_demo_shop(tmp_path):
    with serve_demo() as shop:
        plan = tmp_path / "tour.pa"
        plan.write_text(TOUR.format(url=shop.url))
        args = ["exec", str(plan), "--json", "--secret", "password=wonderland", "-i", "address=" + json.dumps(ADDRESS)]
        out = CliRunner().invoke(main, [*args, "--runs", str(tmp_path / "runs")], catch_exceptions=False)
    summary = json.loads(out.stdout)
    assert summary["status"] == "succeeded", summary["error"]
    assert set(summary["steps"].values()) == {"done"}
    outputs = summary["answer"]
    assert re.search(r"Order #\d+ confirmed$", outputs) and "Initech Vertical Mouse" in outputs
