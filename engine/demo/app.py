"""Routes of the demo shop (plain HTML with accessible names, no JavaScript needed).

Every page is rendered from the session's own state (:mod:`.state`) with the templates of
:mod:`.pages`; :class:`DemoApp` is a WSGI-free callable that the server hands a parsed :class:`Request`.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from .catalog import CATEGORIES, COUPONS, PRODUCTS, PRODUCTS_BY_ID, USERS
from .pages import render
from .state import Session

PAGE_SIZE = 8
COOKIE = "planact_demo_sid"
SORTS = (("relevance", "Relevance"), ("price_asc", "Price: low to high"), ("price_desc", "Price: high to low"), ("rating", "Rating"), ("name", "Name"))  # fmt: skip


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    session: Session


@dataclass
class Response:
    status: int = 200
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def redirect(location: str) -> Response:
    return Response(303, "", headers={"Location": location})


Handler = Callable[..., Response]


class DemoApp:
    """The demo shop: sessions and routes."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        for method, pattern, handler in (
            ("GET", r"/", self.home), ("GET", r"/search", self.search), ("GET", r"/product/(\d+)", self.product),
            ("POST", r"/cart/add", self.cart_add), ("GET", r"/cart", self.cart), ("POST", r"/cart/remove", self.cart_remove),
            ("POST", r"/cart/update", self.cart_update), ("POST", r"/cart/coupon", self.cart_coupon),
            ("GET", r"/checkout", self.checkout), ("POST", r"/checkout", self.checkout_post),
            ("GET", r"/orders", self.orders), ("GET", r"/orders/(\d+)", self.order),
            ("GET", r"/login", self.login), ("POST", r"/login", self.login_post), ("GET", r"/logout", self.logout),
            ("GET", r"/forum", self.forum), ("GET", r"/forum/(\d+)", self.thread), ("POST", r"/forum/(\d+)", self.reply),
            ("GET", r"/forum/new", self.new_thread), ("POST", r"/forum/new", self.new_thread_post),
            ("GET", r"/admin", self.admin), ("POST", r"/admin/product/(\d+)", self.admin_save),
            ("GET", r"/help/size-guide", self.size_guide), ("GET", r"/api/state", self.api_state),
            ("POST", r"/api/reset", self.api_reset), ("GET", r"/go-partner", self.go_partner),
        ):  # fmt: skip
            self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    def session(self, sid: str | None) -> Session:
        with self.lock:
            if sid and sid in self.sessions:
                return self.sessions[sid]
            session = Session(secrets.token_hex(8))
            self.sessions[session.id] = session
            return session

    def handle(self, request: Request) -> Response:
        for method, pattern, handler in self.routes:
            m = pattern.match(request.path)
            if m and method == request.method:
                return handler(request, *m.groups())
        if any(p.match(request.path) for _, p, _ in self.routes):
            return self.message(request, "Not allowed", text="Method not allowed.", status=405)
        return self.message(request, "Not found", heading="Page not found", status=404)

    # ------------------------------------------------------------ pages

    def page(self, request: Request, template: str, title: str, status: int = 200, **context: Any) -> Response:
        """``templates/<template>`` in the layout, for this request's session."""
        s = request.session
        admin = bool(s.user and USERS[s.user]["admin"])
        body = render(template, title=title, session=s, admin=admin, search=request.query.get("q", ""), **context)
        return Response(status, body)

    def message(
        self, request: Request, title: str, heading: str = "", text: str = "", alert: bool = False, status: int = 200
    ) -> Response:
        """A page that only says something: a heading, a paragraph (an alert), or both."""
        return self.page(request, "message.html", title, status, heading=heading, text=text, alert=alert)

    # ------------------------------------------------------------ shop

    def home(self, request: Request) -> Response:
        featured = sorted(PRODUCTS, key=lambda p: -p.rating)[:4]
        return self.page(request, "home.html", "Home", categories=CATEGORIES, featured=featured)

    def search(self, request: Request) -> Response:
        s, q = request.session, request.query
        words = q.get("q", "").lower().split()
        category, sort = q.get("category", ""), q.get("sort", "relevance")
        in_stock = q.get("in_stock") == "on"
        try:
            max_price = float(q["max_price"]) if q.get("max_price") else None
        except ValueError:
            max_price = None
        found = [
            p for p in PRODUCTS
            if all(w in f"{p.title} {p.category}".lower() for w in words)
            and (not category or p.category == category)
            and (max_price is None or s.prices[p.id] <= max_price)
            and (not in_stock or s.stock[p.id] > 0)
        ]  # fmt: skip
        keys = {
            "price_asc": lambda p: s.prices[p.id],
            "price_desc": lambda p: -s.prices[p.id],
            "rating": lambda p: -p.rating,
            "name": lambda p: p.title,
        }
        if sort in keys:
            found.sort(key=keys[sort])
        pages = max(1, math.ceil(len(found) / PAGE_SIZE))
        try:
            page = min(max(1, int(q.get("page", "1"))), pages)
        except ValueError:
            page = 1
        shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return self.page(
            request, "search.html", "Search", params=q, q=q.get("q", ""), sorts=SORTS, sort=sort,
            categories=CATEGORIES, category=category, max_price=q.get("max_price", ""), in_stock=in_stock,
            found=len(found), shown=shown, page=page, pages=pages,
        )  # fmt: skip

    def product(self, request: Request, pid: str) -> Response:
        p = PRODUCTS_BY_ID.get(int(pid))
        if p is None:
            return self.message(request, "Not found", heading="Product not found", status=404)
        return self.page(request, "product.html", p.title, p=p, stock=request.session.stock[p.id])

    def cart_add(self, request: Request) -> Response:
        s = request.session
        try:
            pid, qty = int(request.form.get("id", "")), max(1, int(request.form.get("quantity", "1") or 1))
        except ValueError:
            return redirect("/cart")
        if pid in PRODUCTS_BY_ID and s.stock[pid] > 0:
            s.cart[pid] = min(s.stock[pid], s.cart.get(pid, 0) + qty)
        return redirect("/cart?added=" + str(pid))

    def cart(self, request: Request) -> Response:
        added = request.query.get("added", "")
        subtotal, discount, total = request.session.totals()
        return self.page(
            request, "cart.html", "Cart", lines=request.session.cart_lines(),
            added=PRODUCTS_BY_ID.get(int(added)) if added.isdigit() else None,
            coupon_invalid=request.query.get("coupon") == "invalid", subtotal=subtotal, discount=discount, total=total,
        )  # fmt: skip

    def cart_remove(self, request: Request) -> Response:
        request.session.cart.pop(int(request.form.get("id", "0") or 0), None)
        return redirect("/cart")

    def cart_update(self, request: Request) -> Response:
        s = request.session
        try:
            pid, qty = int(request.form.get("id", "")), int(request.form.get("quantity", "0") or 0)
        except ValueError:
            return redirect("/cart")
        if pid in s.cart:
            if qty <= 0:
                del s.cart[pid]
            else:
                s.cart[pid] = min(qty, s.stock[pid])
        return redirect("/cart")

    def cart_coupon(self, request: Request) -> Response:
        code = request.form.get("code", "").strip().upper()
        if code in COUPONS:
            request.session.coupon = code
            return redirect("/cart")
        return redirect("/cart?coupon=invalid")

    # ------------------------------------------------------------ checkout and orders

    CHECKOUT_FIELDS = (("name", "Full name"), ("street", "Street"), ("city", "City"), ("postal_code", "Postal code"))
    COUNTRIES = ("United States", "Canada", "France", "Germany", "Japan")
    SHIPPINGS = (("standard", "Standard shipping"), ("express", "Express shipping"))

    def _checkout_form(self, request: Request, values: dict[str, str], errors: list[str]) -> Response:
        return self.page(
            request, "checkout.html", "Checkout", values=values, errors=errors, total=request.session.totals()[2],
            fields=self.CHECKOUT_FIELDS, countries=self.COUNTRIES, shippings=self.SHIPPINGS,
        )  # fmt: skip

    def checkout(self, request: Request) -> Response:
        return self._checkout_form(request, {}, [])

    def checkout_post(self, request: Request) -> Response:
        s, form = request.session, request.form
        errors = [f"{label} is required." for name, label in self.CHECKOUT_FIELDS if not form.get(name, "").strip()]
        if form.get("country") not in self.COUNTRIES:
            errors.append("Country is required.")
        if form.get("postal_code") and not re.fullmatch(r"[A-Za-z0-9 -]{3,10}", form["postal_code"]):
            errors.append("Postal code is not valid.")
        if errors or not s.cart:
            return self._checkout_form(request, form, errors)
        number = 1000 + sum(len(x.orders) for x in self.sessions.values()) + 1
        address = {n: form[n].strip() for n, _ in self.CHECKOUT_FIELDS} | {"country": form["country"]}
        s.place_order(number, form.get("shipping", "standard"), form.get("gift") == "on", address)
        return redirect(f"/orders/{number}")

    def _require_login(self, request: Request, path: str) -> Response | None:
        if request.session.user is None:
            return redirect("/login?" + urlencode({"next": path}))
        return None

    def orders(self, request: Request) -> Response:
        if (r := self._require_login(request, "/orders")) is not None:
            return r
        s = request.session
        return self.page(request, "orders.html", "Orders", orders=[o for o in s.orders if o["user"] == s.user])

    def order(self, request: Request, number: str) -> Response:
        o = next((o for o in request.session.orders if o["number"] == int(number)), None)
        if o is None:
            return self.message(request, "Not found", heading="Order not found", status=404)
        return self.page(request, "order.html", f"Order {number}", o=o)

    # ------------------------------------------------------------ accounts

    def login(self, request: Request, error: str = "") -> Response:
        nxt = request.query.get("next", request.form.get("next", "/"))
        return self.page(request, "login.html", "Log in", next=nxt, error=error)

    def login_post(self, request: Request) -> Response:
        user = USERS.get(request.form.get("username", ""))
        if user is None or user["password"] != request.form.get("password"):
            return self.login(request, "Invalid username or password.")
        request.session.user = request.form["username"]
        nxt = request.form.get("next", "/")
        return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/")

    def logout(self, request: Request) -> Response:
        request.session.user = None
        return redirect("/")

    # ------------------------------------------------------------ forum

    def forum(self, request: Request) -> Response:
        return self.page(request, "forum.html", "Forum")

    def thread(self, request: Request, tid: str) -> Response:
        t = next((t for t in request.session.threads if t["id"] == int(tid)), None)
        if t is None:
            return self.message(request, "Not found", heading="Thread not found", status=404)
        return self.page(request, "thread.html", t["title"], t=t)

    def reply(self, request: Request, tid: str) -> Response:
        if (r := self._require_login(request, f"/forum/{tid}")) is not None:
            return r
        t = next((t for t in request.session.threads if t["id"] == int(tid)), None)
        message = request.form.get("message", "").strip()
        if t is not None and message:
            t["posts"].append(message)
        return redirect(f"/forum/{tid}")

    def new_thread(self, request: Request) -> Response:
        if (r := self._require_login(request, "/forum/new")) is not None:
            return r
        return self.page(request, "new_thread.html", "New thread")

    def new_thread_post(self, request: Request) -> Response:
        if (r := self._require_login(request, "/forum/new")) is not None:
            return r
        s, title, message = (
            request.session,
            request.form.get("title", "").strip(),
            request.form.get("message", "").strip(),
        )
        if not title or not message:
            return self.message(request, "New thread", text="Title and message are required.", alert=True, status=400)
        tid = max(t["id"] for t in s.threads) + 1
        s.threads.append({"id": tid, "title": title, "author": s.user, "posts": [message]})
        return redirect(f"/forum/{tid}")

    # ------------------------------------------------------------ admin, help, api

    def admin(self, request: Request) -> Response:
        if (r := self._require_login(request, "/admin")) is not None:
            return r
        if not USERS[request.session.user]["admin"]:  # type: ignore[index]
            return self.message(
                request, "Forbidden", heading="Forbidden", text="Administrators only.", alert=True, status=403
            )
        return self.page(request, "admin.html", "Admin", products=PRODUCTS)

    def admin_save(self, request: Request, pid: str) -> Response:
        s = request.session
        if s.user is None or not USERS[s.user]["admin"] or int(pid) not in PRODUCTS_BY_ID:
            return self.message(request, "Forbidden", heading="Forbidden", status=403)
        try:
            s.prices[int(pid)] = round(float(request.form["price"]), 2)
            s.stock[int(pid)] = max(0, int(request.form["stock"]))
        except (KeyError, ValueError):
            return self.message(request, "Admin", text="Price and stock must be numbers.", alert=True, status=400)
        return redirect("/admin?saved=" + pid)

    def size_guide(self, request: Request) -> Response:
        return self.page(request, "size_guide.html", "Size guide")

    def go_partner(self, request: Request) -> Response:
        """A redirect off-site: plans must not be able to follow it."""
        return redirect("http://partner.example.com/?" + urlencode({"from": quote("demo")}))

    def api_state(self, request: Request) -> Response:
        return Response(body=json.dumps(request.session.state()), content_type="application/json")

    def api_reset(self, request: Request) -> Response:
        with self.lock:
            self.sessions.pop(request.session.id, None)
        return Response(body="{}", content_type="application/json")
