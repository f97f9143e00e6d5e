"""Size of the model observation (accessibility-tree text with references) on the demo shop's pages.

Prints, per page, the characters of the observation text and of the page's
HTML (the baseline a model would otherwise read), and their ratio.  Run:
``python bench/observe.py``.
"""

from __future__ import annotations

import asyncio
import statistics

from planact.browser.observe import observe
from planact.browser.session import BrowserSession, SessionOptions
from planact.demo.server import serve_demo
from planact.lang.origins import origin_of

PAGES = [
    "/",
    "/search?q=mouse",
    "/search?category=Keyboards&sort=price_asc",
    "/product/1",
    "/cart",
    "/checkout",
    "/login",
    "/forum",
    "/forum/1",
    "/orders",
    "/admin",
]


async def measure(base: str) -> None:
    session = BrowserSession(SessionOptions(allowed_origins=frozenset({origin_of(base)})))
    await session.start()
    try:
        page = session.page
        await page.goto(base + "/login")
        await page.get_by_label("Username").fill("admin")
        await page.get_by_label("Password").fill("admin123")
        await page.get_by_role("button", name="Sign in").click()
        await page.goto(base + "/product/2")
        await page.get_by_role("button", name="Add to cart").click()
        ratios = []
        print(f"{'page':<45} {'observation':>11} {'HTML':>8} {'ratio':>6}  refs")
        for path in PAGES:
            await page.goto(base + path)
            obs = await observe(page)
            html = await page.content()
            text = obs.text()
            ratios.append(len(text) / len(html))
            print(f"{path:<45} {len(text):>11} {len(html):>8} {len(text) / len(html):>6.2f}  {text.count('[ref=')}")
        print(f"median observation/HTML ratio: {statistics.median(ratios):.2f}")
    finally:
        await session.close()


if __name__ == "__main__":
    with serve_demo() as server:
        asyncio.run(measure(server.url))
