"""Routes and pages of the demo shop (plain HTML with accessible names, no JavaScript needed).

Every page is rendered from the session's own state; :class:`DemoApp` is a
WSGI-free callable that the server hands a parsed :class:`Request`.
"""

from __future__ import annotations

import copy
import html
import json
import math
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from .catalog import CATEGORIES, COUPONS, PRODUCTS, PRODUCTS_BY_ID, THREADS, USERS

PAGE_SIZE = 8
COOKIE = "planact_demo_sid"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def money(value: float) -> str:
    return f"${value:,.2f}"


@dataclass
class Session:
    """The server-side state of one browser session."""

    id: str
    user: str | None = None
    cart: dict[int, int] = field(default_factory=dict)
    coupon: str | None = None
    orders: list[dict] = field(default_factory=list)
    threads: list[dict] = field(default_factory=lambda: copy.deepcopy(THREADS))
    stock: dict[int, int] = field(default_factory=lambda: {p.id: p.stock for p in PRODUCTS})
    prices: dict[int, float] = field(default_factory=lambda: {p.id: p.price for p in PRODUCTS})

    def cart_lines(self) -> list[tuple]:
        return [(PRODUCTS_BY_ID[pid], qty, self.prices[pid] * qty) for pid, qty in self.cart.items()]

    def totals(self) -> tuple[float, float, float]:
        subtotal = round(sum(line[2] for line in self.cart_lines()), 2)
        discount = round(subtotal * COUPONS.get(self.coupon or "", 0), 2)
        return subtotal, discount, round(subtotal - discount, 2)

    def state(self) -> dict:
        """What tests and evaluators read: ``GET /api/state``."""
        subtotal, discount, total = self.totals()
        return {
            "user": self.user,
            "cart": [{"id": p.id, "title": p.title, "quantity": q} for p, q, _ in self.cart_lines()],
            "coupon": self.coupon, "subtotal": subtotal, "discount": discount, "total": total,
            "orders": self.orders,
            "threads": [{"id": t["id"], "title": t["title"], "posts": len(t["posts"])} for t in self.threads],
            "stock": {str(k): v for k, v in self.stock.items() if v != PRODUCTS_BY_ID[k].stock},
        }  # fmt: skip


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
    """The demo shop: routes, sessions and page rendering."""

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
            return Response(405, self.page(request, "Not allowed", "<p>Method not allowed.</p>"))
        return Response(404, self.page(request, "Not found", "<h1>Page not found</h1>"))

    # ------------------------------------------------------------ layout

    def page(self, request: Request, title: str, body: str) -> str:
        s = request.session
        count = sum(s.cart.values())
        account = (
            f'<span class="user">Signed in as {esc(s.user)}</span> <a href="/logout">Log out</a>'
            if s.user else '<a href="/login">Log in</a>'
        )  # fmt: skip
        admin = ' <a href="/admin">Admin</a>' if s.user and USERS[s.user]["admin"] else ""
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)} · Demo Shop</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:auto}} .result{{margin:.5em 0}} .price{{font-weight:bold}}
nav a{{margin-right:1em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:.3em}}</style></head>
<body><header><nav aria-label="Main"><a href="/">Home</a><a href="/forum">Forum</a><a href="/orders">Orders</a>
<a href="/cart">Cart ({count})</a>{account}{admin}</nav>
<form role="search" action="/search" method="get"><input type="search" name="q" aria-label="Search" placeholder="Search products" value="{esc(request.query.get("q", ""))}">
<button type="submit">Search</button></form></header>
<main>{body}</main>
<footer><p>Demo Shop for planact · <a href="/go-partner">Partner site</a> · <a href="http://partner.example.com/offers" target="_blank">Partner offers</a></p></footer></body></html>"""

    # ------------------------------------------------------------ shop

    def home(self, request: Request) -> Response:
        cats = "".join(f'<li><a href="/search?{urlencode({"category": c})}">{esc(c)}</a></li>' for c in CATEGORIES)
        featured = "".join(self._result(request.session, p) for p in sorted(PRODUCTS, key=lambda p: -p.rating)[:4])
        body = f'<h1>Welcome to the Demo Shop</h1><h2>Categories</h2><ul class="categories">{cats}</ul><h2>Featured</h2><ul class="results">{featured}</ul>'
        return Response(body=self.page(request, "Home", body))

    def _result(self, s: Session, p) -> str:
        stock = "In stock" if s.stock[p.id] > 0 else "Out of stock"
        return (
            f'<li class="result" data-testid="result-{p.id}"><a href="/product/{p.id}">{esc(p.title)}</a> '
            f'<span class="price">{money(s.prices[p.id])}</span> <span class="rating">{p.rating} stars</span> '
            f'<span class="stock">{stock}</span></li>'
        )

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

        def link(n: int, text: str) -> str:
            return f'<a href="/search?{urlencode({**q, "page": n})}">{text}</a>'

        sort_options = "".join(
            f'<option value="{v}"{" selected" if v == sort else ""}>{t}</option>'
            for v, t in (("relevance", "Relevance"), ("price_asc", "Price: low to high"), ("price_desc", "Price: high to low"), ("rating", "Rating"), ("name", "Name"))
        )  # fmt: skip
        cat_options = '<option value="">All</option>' + "".join(
            f"<option{' selected' if c == category else ''}>{esc(c)}</option>" for c in CATEGORIES
        )
        nav = " ".join(
            ([link(page - 1, "Previous")] if page > 1 else [])
            + [link(n, str(n)) if n != page else f'<span aria-current="page">{n}</span>' for n in range(1, pages + 1)]
            + ([link(page + 1, "Next")] if page < pages else [])
        )
        title = f"Results for “{esc(q.get('q', ''))}”" if q.get("q") else "All products"
        body = f"""<h1>{title}</h1>
<form class="filters" action="/search" method="get"><input type="hidden" name="q" value="{esc(q.get("q", ""))}">
<label>Sort by <select name="sort" onchange="this.form.submit()">{sort_options}</select></label>
<label>Category <select name="category">{cat_options}</select></label>
<label>Max price <input type="number" name="max_price" step="0.01" value="{esc(q.get("max_price", ""))}"></label>
<label><input type="checkbox" name="in_stock"{" checked" if in_stock else ""}> In stock only</label>
<button type="submit">Apply filters</button></form>
<p class="count">{len(found)} products found · page {page} of {pages}</p>
<ul class="results">{"".join(self._result(s, p) for p in shown) or "<li>No products match.</li>"}</ul>
<nav aria-label="Pagination">{nav}</nav>"""
        return Response(body=self.page(request, "Search", body))

    def product(self, request: Request, pid: str) -> Response:
        p = PRODUCTS_BY_ID.get(int(pid))
        if p is None:
            return Response(404, self.page(request, "Not found", "<h1>Product not found</h1>"))
        s = request.session
        stock = s.stock[p.id]
        if stock > 0:
            buy = f"""<form method="post" action="/cart/add"><input type="hidden" name="id" value="{p.id}">
<label>Quantity <input type="number" name="quantity" value="1" min="1" max="{stock}"></label>
<button type="submit">Add to cart</button></form>"""
        else:
            buy = '<p role="status">Out of stock</p><button type="button" disabled>Add to cart</button>'
        body = f"""<article><h1>{esc(p.title)}</h1><p class="price">{money(s.prices[p.id])}</p>
<p class="stock">{stock} in stock</p><p class="rating">Rated {p.rating} out of 5</p>
<p class="category">Category: <a href="/search?{urlencode({"category": p.category})}">{esc(p.category)}</a></p>
<p class="description">{esc(p.description)}</p>{buy}
<p><a href="/help/size-guide" target="_blank">Size guide</a></p></article>"""
        return Response(body=self.page(request, p.title, body))

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
        s = request.session
        lines = s.cart_lines()
        added = request.query.get("added", "")
        notice = ""
        if added.isdigit() and int(added) in PRODUCTS_BY_ID:
            notice = f'<p role="status">Added {esc(PRODUCTS_BY_ID[int(added)].title)} to your cart.</p>'
        if not lines:
            return Response(body=self.page(request, "Cart", f"<h1>Your cart</h1>{notice}<p>Your cart is empty.</p>"))
        rows = "".join(
            f"""<tr><td><a href="/product/{p.id}">{esc(p.title)}</a></td>
<td><form method="post" action="/cart/update"><input type="hidden" name="id" value="{p.id}"><label>Quantity for {esc(p.title)} <input type="number" name="quantity" value="{q}" min="0"></label><button type="submit" aria-label="Update {esc(p.title)}">Update</button></form></td>
<td>{money(s.prices[p.id])}</td><td class="subtotal">{money(total)}</td>
<td><form method="post" action="/cart/remove"><input type="hidden" name="id" value="{p.id}"><button type="submit" aria-label="Remove {esc(p.title)}">Remove</button></form></td></tr>"""
            for p, q, total in lines
        )
        subtotal, discount, total = s.totals()
        coupon = f'<p class="discount">Coupon {esc(s.coupon)}: -{money(discount)}</p>' if s.coupon else ""
        error = '<p role="alert">Unknown coupon code.</p>' if request.query.get("coupon") == "invalid" else ""
        body = f"""<h1>Your cart</h1>{notice}<table><thead><tr><th>Product</th><th>Quantity</th><th>Price</th><th>Subtotal</th><th></th></tr></thead><tbody>{rows}</tbody></table>
<form method="post" action="/cart/coupon"><label>Coupon code <input name="code"></label><button type="submit">Apply coupon</button></form>{error}
<p class="subtotal">Subtotal: {money(subtotal)}</p>{coupon}<p class="total">Total: {money(total)}</p><a href="/checkout">Checkout</a>"""
        return Response(body=self.page(request, "Cart", body))

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

    def _checkout_form(self, request: Request, values: dict[str, str], errors: list[str]) -> Response:
        s = request.session
        if not s.cart:
            return Response(body=self.page(request, "Checkout", "<h1>Checkout</h1><p>Your cart is empty.</p>"))
        fields = "".join(
            f'<p><label>{label} <input name="{name}" value="{esc(values.get(name, ""))}"></label></p>'
            for name, label in self.CHECKOUT_FIELDS
        )
        country = values.get("country", "")
        countries = "".join(f"<option{' selected' if c == country else ''}>{c}</option>" for c in self.COUNTRIES)
        shipping = values.get("shipping", "standard")
        radios = "".join(
            f'<label><input type="radio" name="shipping" value="{v}"{" checked" if v == shipping else ""}> {t}</label> '
            for v, t in (("standard", "Standard shipping"), ("express", "Express shipping"))
        )
        alert = f'<div role="alert"><ul>{"".join(f"<li>{esc(e)}</li>" for e in errors)}</ul></div>' if errors else ""
        gift = " checked" if values.get("gift") == "on" else ""
        body = f"""<h1>Checkout</h1>{alert}<p class="total">Total: {money(s.totals()[2])}</p>
<form method="post" action="/checkout">{fields}<p><label>Country <select name="country"><option value="">Choose…</option>{countries}</select></label></p>
<fieldset><legend>Shipping</legend>{radios}</fieldset><p><label><input type="checkbox" name="gift"{gift}> Gift wrap</label></p>
<button type="submit">Place order</button></form>"""
        return Response(body=self.page(request, "Checkout", body))

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
        _, discount, total = s.totals()
        number = 1000 + sum(len(x.orders) for x in self.sessions.values()) + 1
        order = {
            "number": number, "user": s.user, "items": [{"id": p.id, "title": p.title, "quantity": q} for p, q, _ in s.cart_lines()],
            "total": total, "discount": discount, "coupon": s.coupon, "shipping": form.get("shipping", "standard"),
            "gift": form.get("gift") == "on", "address": {n: form[n].strip() for n, _ in self.CHECKOUT_FIELDS} | {"country": form["country"]},
        }  # fmt: skip
        for pid, qty in s.cart.items():
            s.stock[pid] -= qty
        s.orders.append(order)
        s.cart.clear()
        s.coupon = None
        return redirect(f"/orders/{number}")

    def _require_login(self, request: Request, path: str) -> Response | None:
        if request.session.user is None:
            return redirect("/login?" + urlencode({"next": path}))
        return None

    def orders(self, request: Request) -> Response:
        if (r := self._require_login(request, "/orders")) is not None:
            return r
        s = request.session
        mine = [o for o in s.orders if o["user"] == s.user]
        rows = "".join(
            f'<tr><td><a href="/orders/{o["number"]}">Order #{o["number"]}</a></td><td>{sum(i["quantity"] for i in o["items"])} items</td><td>{money(o["total"])}</td></tr>'
            for o in mine
        )
        body = "<h1>Your orders</h1>" + (
            f"<table><thead><tr><th>Order</th><th>Items</th><th>Total</th></tr></thead><tbody>{rows}</tbody></table>"
            if mine
            else "<p>No orders yet.</p>"
        )
        return Response(body=self.page(request, "Orders", body))

    def order(self, request: Request, number: str) -> Response:
        o = next((o for o in request.session.orders if o["number"] == int(number)), None)
        if o is None:
            return Response(404, self.page(request, "Not found", "<h1>Order not found</h1>"))
        items = "".join(f"<li>{i['quantity']} × {esc(i['title'])}</li>" for i in o["items"])
        body = f"""<h1>Order #{o["number"]} confirmed</h1><p role="status">Thank you! Your order number is {o["number"]}.</p>
<ul class="items">{items}</ul><p class="total">Total: {money(o["total"])}</p><p>Shipping: {o["shipping"]} to {esc(o["address"]["city"])}</p>"""
        return Response(body=self.page(request, f"Order {number}", body))

    # ------------------------------------------------------------ accounts

    def login(self, request: Request, error: str = "") -> Response:
        nxt = esc(request.query.get("next", request.form.get("next", "/")))
        alert = f'<p role="alert">{esc(error)}</p>' if error else ""
        body = f"""<h1>Log in</h1>{alert}<form method="post" action="/login"><input type="hidden" name="next" value="{nxt}">
<p><label>Username <input name="username" autocomplete="username"></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password"></label></p>
<button type="submit">Sign in</button></form>"""
        return Response(body=self.page(request, "Log in", body))

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
        items = "".join(
            f'<li class="thread"><a href="/forum/{t["id"]}">{esc(t["title"])}</a> by {esc(t["author"])} · {len(t["posts"])} posts</li>'
            for t in request.session.threads
        )
        body = f'<h1>Forum</h1><ul class="threads">{items}</ul><a href="/forum/new">New thread</a>'
        return Response(body=self.page(request, "Forum", body))

    def thread(self, request: Request, tid: str) -> Response:
        t = next((t for t in request.session.threads if t["id"] == int(tid)), None)
        if t is None:
            return Response(404, self.page(request, "Not found", "<h1>Thread not found</h1>"))
        posts = "".join(f'<li class="post">{esc(p)}</li>' for p in t["posts"])
        reply = (
            f'<form method="post" action="/forum/{t["id"]}"><label>Reply <textarea name="message"></textarea></label><button type="submit">Post reply</button></form>'
            if request.session.user else '<p><a href="/login?next=/forum/' + str(t["id"]) + '">Log in to reply</a></p>'
        )  # fmt: skip
        return Response(
            body=self.page(request, t["title"], f'<h1>{esc(t["title"])}</h1><ol class="posts">{posts}</ol>{reply}')
        )

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
        body = """<h1>New thread</h1><form method="post" action="/forum/new"><p><label>Title <input name="title"></label></p>
<p><label>Message <textarea name="message"></textarea></label></p><button type="submit">Create thread</button></form>"""
        return Response(body=self.page(request, "New thread", body))

    def new_thread_post(self, request: Request) -> Response:
        if (r := self._require_login(request, "/forum/new")) is not None:
            return r
        s, title, message = (
            request.session,
            request.form.get("title", "").strip(),
            request.form.get("message", "").strip(),
        )
        if not title or not message:
            return Response(
                400, self.page(request, "New thread", '<p role="alert">Title and message are required.</p>')
            )
        tid = max(t["id"] for t in s.threads) + 1
        s.threads.append({"id": tid, "title": title, "author": s.user, "posts": [message]})
        return redirect(f"/forum/{tid}")

    # ------------------------------------------------------------ admin, help, api

    def admin(self, request: Request) -> Response:
        if (r := self._require_login(request, "/admin")) is not None:
            return r
        s = request.session
        if not USERS[s.user]["admin"]:  # type: ignore[index]
            return Response(
                403, self.page(request, "Forbidden", '<h1>Forbidden</h1><p role="alert">Administrators only.</p>')
            )
        rows = "".join(
            f"""<tr><td>{esc(p.title)}</td><td><form method="post" action="/admin/product/{p.id}">
<label>Price of {esc(p.title)} <input type="number" step="0.01" name="price" value="{s.prices[p.id]:.2f}"></label>
<label>Stock of {esc(p.title)} <input type="number" name="stock" value="{s.stock[p.id]}"></label>
<button type="submit" aria-label="Save {esc(p.title)}">Save</button></form></td></tr>"""
            for p in PRODUCTS
        )
        return Response(body=self.page(request, "Admin", f"<h1>Products</h1><table><tbody>{rows}</tbody></table>"))

    def admin_save(self, request: Request, pid: str) -> Response:
        s = request.session
        if s.user is None or not USERS[s.user]["admin"] or int(pid) not in PRODUCTS_BY_ID:
            return Response(403, self.page(request, "Forbidden", "<h1>Forbidden</h1>"))
        try:
            s.prices[int(pid)] = round(float(request.form["price"]), 2)
            s.stock[int(pid)] = max(0, int(request.form["stock"]))
        except (KeyError, ValueError):
            return Response(400, self.page(request, "Admin", '<p role="alert">Price and stock must be numbers.</p>'))
        return redirect("/admin?saved=" + pid)

    def size_guide(self, request: Request) -> Response:
        return Response(body=self.page(request, "Size guide", "<h1>Size guide</h1><p>All our mice fit all hands.</p>"))

    def go_partner(self, request: Request) -> Response:
        """A redirect off-site: plans must not be able to follow it."""
        return redirect("http://partner.example.com/?" + urlencode({"from": quote("demo")}))

    def api_state(self, request: Request) -> Response:
        return Response(body=json.dumps(request.session.state()), content_type="application/json")

    def api_reset(self, request: Request) -> Response:
        with self.lock:
            self.sessions.pop(request.session.id, None)
        return Response(body="{}", content_type="application/json")
