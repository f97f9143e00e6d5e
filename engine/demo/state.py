"""The demo shop's state: what one browser session has done (cart, coupon, orders, posts, admin edits)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .catalog import COUPONS, PRODUCTS, PRODUCTS_BY_ID, THREADS


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

    def place_order(self, number: int, shipping: str, gift: bool, address: dict[str, str]) -> dict:
        """Turn the cart into order ``number``: the stock goes down, the cart and its coupon are cleared."""
        _, discount, total = self.totals()
        order = {
            "number": number, "user": self.user, "items": [{"id": p.id, "title": p.title, "quantity": q} for p, q, _ in self.cart_lines()],
            "total": total, "discount": discount, "coupon": self.coupon, "shipping": shipping,
            "gift": gift, "address": address,
        }  # fmt: skip
        for pid, qty in self.cart.items():
            self.stock[pid] -= qty
        self.orders.append(order)
        self.cart.clear()
        self.coupon = None
        return order

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
