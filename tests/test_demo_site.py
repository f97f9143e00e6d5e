"""The demo shop over real HTTP on 127.0.0.1: sessions, cart, checkout, accounts, forum, admin."""

import http.cookiejar
import json
import urllib.error
import urllib.request

import pytest

from planact.demo.server import serve_demo


class Browser:
    """A cookie-keeping HTTP client: one demo session."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path, timeout=10).read().decode()

    def post(self, path: str, **form: str) -> str:
        data = urllib.parse.urlencode(form).encode()
        return self.opener.open(self.base + path, data=data, timeout=10).read().decode()

    def state(self) -> dict:
        return json.loads(self.get("/api/state"))


@pytest.fixture(scope="module")
def server():
    with serve_demo() as srv:
        yield srv


def test_search_sort_and_paginate(server):
    b = Browser(server.url)
    page = b.get("/search?q=mouse&sort=price_asc")
    assert "10 products found · page 1 of 2" in page and 'aria-label="Pagination"' in page
    prices = [float(p) for p in __import__("re").findall(r'class="price">\$([\d.]+)', page)]
    assert prices == sorted(prices) and len(prices) == 8
    assert "page 2 of 2" in b.get("/search?q=mouse&sort=price_asc&page=2")


def test_cart_checkout_and_order_in_one_session_only(server):
    alice, other = Browser(server.url), Browser(server.url)
    alice.post("/login", username="alice", password="wonderland", next="/")
    alice.post("/cart/add", id="1", quantity="2")
    alice.post("/cart/coupon", code="save10")
    assert alice.state()["cart"] == [{"id": 1, "title": "Acme Wireless Mouse", "quantity": 2}]
    assert other.state()["cart"] == []
    page = alice.post(
        "/checkout",
        name="Alice",
        street="1 Rabbit Hole",
        city="Oxford",
        postal_code="OX1",
        country="France",
        shipping="express",
    )
    assert "confirmed" in page
    state = alice.state()
    assert (
        state["cart"] == [] and state["orders"][0]["coupon"] == "SAVE10" and state["orders"][0]["shipping"] == "express"
    )
    assert "Order #" in alice.get("/orders")


def test_checkout_validation_and_login_redirects(server):
    b = Browser(server.url)
    b.post("/cart/add", id="2", quantity="1")
    page = b.post("/checkout", name="", street="x", city="y", postal_code="!!", country="Mars")
    assert 'role="alert"' in page and "Full name is required." in page and "Postal code is not valid." in page
    assert "Log in" in b.get("/orders")
    assert "Invalid username or password." in b.post("/login", username="alice", password="nope")


def test_forum_and_admin(server):
    b = Browser(server.url)
    b.post("/login", username="admin", password="admin123", next="/")
    b.post("/forum/new", title="Hello", message="First post")
    assert any(t["title"] == "Hello" for t in b.state()["threads"])
    b.post("/admin/product/3", price="9.50", stock="0")
    assert b.state()["stock"] == {"3": 0}
    assert "Out of stock" in b.get("/product/3")


def test_partner_link_redirects_off_site(server):
    request = urllib.request.Request(server.url + "/go-partner")
    opener = urllib.request.build_opener(
        type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {"redirect_request": lambda *a, **k: None})
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(request, timeout=10)
    assert info.value.code == 303 and info.value.headers["Location"].startswith("http://partner.example.com/")


def test_what_a_visitor_types_is_escaped_on_every_page(server):
    """The templates escape as html.escape does (quotes as &quot; and &#x27;), in text and in attributes."""
    b = Browser(server.url)
    typed = "<b>x</b> & \"q\" 'a'"
    shown = "&lt;b&gt;x&lt;/b&gt; &amp; &quot;q&quot; &#x27;a&#x27;"
    page = b.get("/search?" + urllib.parse.urlencode({"q": typed, "max_price": typed}))
    assert f"Results for “{shown}”" in page and f'name="q" value="{shown}"' in page and "<b>x</b>" not in page
    b.post("/login", username="bob", password="builder", next="/")
    b.post("/forum/1", message=typed)
    assert f'<li class="post">{shown}</li>' in b.get("/forum/1")
    b.post("/cart/add", id="1", quantity="1")
    page = b.post("/checkout", name=typed, street="", city="x", postal_code="", country="Nowhere")
    assert f'<input name="name" value="{shown}">' in page
    page = b.post(
        "/checkout", name="Bob", street="1 St", city=typed, postal_code="AB1", country="Canada", shipping="<i>fast</i>"
    )
    assert f"Shipping: &lt;i&gt;fast&lt;/i&gt; to {shown}</p>" in page
