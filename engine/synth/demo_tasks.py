"""The demo shop's task families as generators: new WebArena-format tasks from the catalogue, each with its
evaluator and a reference grounded plan (``planact synth generate demo``, ``planact synth demo-tasks``).

A family turns a seed into one task instance: its content (a product, a category, a quantity, a budget) is
drawn from :mod:`planact.demo.catalog`, its phrasing from a few templates, its evaluator and its answer are
computed from the catalogue, and its plan is written in the plan language with the values in the intents.

Held-out instances are held out by content, not only by seed: every instance's content falls on one side
of a fixed split (about one in five contents is held out), training seeds (below
:data:`~planact.synth.generate.HELD_OUT_SEED`) draw only training contents and evaluation seeds only held-out
ones.  So no held-out task asks what a training task asked, whatever the number of seeds.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..demo.catalog import CATEGORIES, PRODUCTS, Product
from ..run.records import write_whole
from ..syntax import ast
from ..syntax.format import format_string
from .generate import HELD_OUT_SEED

HELD_OUT_SHARE = 5  # one content in this many is held out
SINGULAR = {"Mice": "mouse", "Keyboards": "keyboard", "Monitors": "monitor", "Headphones": "pair of headphones",
            "Cables": "cable", "Chairs": "chair"}  # fmt: skip
NUMBERS = ("zero", "one", "two", "three", "four", "five", "six")
STATE = "__DEMO__/api/state"
CART_LINES = "JSON.parse(document.body.innerText).cart.map(line => line.quantity + ' x ' + line.title).join('; ')"
SITE = 'site demo = "http://127.0.0.1:8765"'
SORTS = {"price_asc": ("Price: low to high", "cheapest first"), "price_desc": ("Price: high to low", "most expensive first"),
         "rating": ("Rating", "best rated first")}  # fmt: skip
BUDGETS = (20, 30, 40, 50, 75, 100, 150, 200, 300)


class DemoTaskError(ValueError):
    """A family or a range of seeds that cannot be generated; the message says why."""


@dataclass
class Instance:
    """One generated task: its WebArena config and its reference grounded plan."""

    task_id: str
    family: str
    seed: int
    content: tuple
    intent: str
    plan: str
    eval: dict[str, Any]
    start_url: str = "__DEMO__"

    def config(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id, "family": self.family, "seed": self.seed, "sites": ["demo"],
            "require_login": False, "storage_state": None, "start_url": self.start_url,
            "intent": self.intent, "eval": self.eval,
        }  # fmt: skip


def held_out(family: str, content: tuple) -> bool:
    """Whether a content is on the held-out side of the split (a hash, so it is the same on every machine)."""
    digest = hashlib.sha256(repr((family, content)).encode()).digest()
    return digest[0] % HELD_OUT_SHARE == 0


def _q(text: str) -> str:
    """A plan-language string literal (the formatter's own: quotes, backslashes and braces escaped)."""
    return format_string(ast.StringLit(parts=(text,)))


def _money(value: float) -> str:
    return f"{value:.2f}"


def _answer(**kind: Any) -> dict[str, Any]:
    return {"eval_types": ["string_match"], "reference_answers": kind, "reference_url": "", "program_html": []}


def _url(url: str, exact: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "eval_types": ["url_match"],
        "reference_answers": None,
        "reference_url": url,
        "program_html": [],
    }
    if exact:
        spec["url_note"] = "EXACT"
    return spec


def _cart(expected: str) -> dict[str, Any]:
    check = {"url": STATE, "locator": CART_LINES, "required_contents": {"exact_match": expected}}
    return {"eval_types": ["program_html"], "reference_answers": None, "reference_url": "", "program_html": [check]}


def _plan(title: str, steps: Iterable[str], uses_web: bool = True) -> str:
    head = [f"plan {_q(title)}", ""] + (["use web", ""] if uses_web else []) + [SITE, ""]
    return "\n".join(head + ["\n".join(steps).rstrip() + "\n"])


def plural(title: str) -> str:
    """A product title in the plural ("Hooli Mini Mouse" -> "Hooli Mini Mice")."""
    if title.endswith("Mouse"):
        return title[: -len("Mouse")] + "Mice"
    if title.endswith("s"):
        return title
    return title + ("es" if title.endswith(("ch", "sh", "x")) else "s")


def _open_product(p: Product) -> list[str]:
    return [f"step find: search({_q(p.name.lower())})", "", f"step open: open_result({_q(p.title)})", ""]


# ------------------------------------------------------------------ families
# Each takes a random generator and returns (content, intent, plan, eval); content is what the held-out split
# is drawn on, and it must determine the task (the phrasing is drawn after it).  A family's start page other
# than the shop's home is in START.


def search_cheapest(rng: random.Random) -> tuple:
    category = rng.choice(CATEGORIES)
    order = rng.choice(("price_asc", "price_desc"))
    stocked = rng.random() < 0.5
    content = (category, order, stocked)
    pool = [p for p in PRODUCTS if p.category == category and (p.stock > 0 or not stocked)]
    best = (min if order == "price_asc" else max)(pool, key=lambda p: p.price)
    which = "cheapest" if order == "price_asc" else "most expensive"
    noun = SINGULAR[category]
    where = " that is in stock" if stocked else ""
    intent = rng.choice((
        f"What is the price of the {which} {noun}{where}?",
        f"How much does the {which} {noun}{where} cost?",
        f"Find the {which} {noun}{where} and tell me its price.",
    ))  # fmt: skip
    steps = [f"step browse {_q(f'Browse the {category.lower()}')}:",
             f"    click link {_q(category)} within css \".categories\"", ""]  # fmt: skip
    if stocked:
        steps += ["step stocked: only_in_stock()", ""]
    steps += [
        f"step sort: sort_by({_q(SORTS[order][0])})", "",
        f"step price {_q(f'Read the price of the first {noun}')} -> text:",
        '    extract css ".price" first within css ".results"', "",
        'step report "Report the price":', "    answer price",
    ]  # fmt: skip
    return (
        content,
        intent,
        _plan(f"Find the price of the {which} {noun}{where}", steps),
        _answer(must_include=[_money(best.price)]),
    )


# product-info: attribute -> (the step that reads it, the value's css, its type, the answer line), and how it is asked
READS = {
    "stock": ("Read how many are in stock", ".stock", "number", '"{value} in stock"'),
    "rating": ("Read its rating", ".rating", "number", '"{value}"'),
    "price": ("Read its price", ".price", "text", "value"),
}
ASKS = {
    "stock": ("How many units of the {} are in stock?", "How many {} units does the shop have in stock?"),
    "rating": ("What is the customer rating of the {}?", "How do customers rate the {}?"),
    "price": ("How much does the {} cost?", "What is the price of the {}?"),
}


def product_info(rng: random.Random) -> tuple:
    attribute = rng.choice(tuple(READS))
    pool = [p for p in PRODUCTS if p.stock > 0] if attribute == "stock" else PRODUCTS
    p = rng.choice(pool)
    content = (p.id, attribute)
    intent = rng.choice(ASKS[attribute]).format(p.title)
    read, css, shape, report = READS[attribute]
    answer = {"stock": str(p.stock), "rating": f"{p.rating:.1f}", "price": _money(p.price)}[attribute]
    steps = _open_product(p) + [
        f"step value {_q(read)} -> {shape}:",
        f"    extract css {_q(css)} first" + (" as number" if shape == "number" else ""), "",
        f"step report {_q('Report the ' + attribute)}:", f"    answer {report}",
    ]  # fmt: skip
    return content, intent, _plan(f"Read the {attribute} of the {p.title}", steps), _answer(must_include=[answer])


def cart_add(rng: random.Random) -> tuple:
    n = rng.randint(1, 4)
    p = rng.choice([p for p in PRODUCTS if p.stock >= n])
    content = (p.id, n)
    many = p.title if n == 1 else plural(p.title)
    intent = rng.choice((
        f"Put {NUMBERS[n]} {many} in my cart.",
        f"Add {n} x {p.title} to my cart.",
        f"I want {NUMBERS[n]} {many}: add {'it' if n == 1 else 'them'} to my cart.",
    ))  # fmt: skip
    steps = _open_product(p) + [f"step add: add_to_cart({n})"]
    return content, intent, _plan(f"Put {n} x {p.title} in the cart", steps), _cart(f"{n} x {p.title}")


def search_filter(rng: random.Random) -> tuple:
    category = rng.choice(CATEGORIES)
    budget = rng.choice(BUDGETS)
    order = rng.choice(sorted(SORTS))
    content = (category, budget, order)
    label, phrase = SORTS[order]
    intent = rng.choice((
        f"Show me the {category.lower()} that cost at most ${budget}, {phrase}.",
        f"List the {category.lower()} up to ${budget}, {phrase}.",
    ))  # fmt: skip
    steps = [
        'step all "Open the list of all products":', '    goto demo "/search"', "",
        f"step filter: apply_filter({_q(category)}, {budget})", "",
        f"step sort: sort_by({_q(label)})", "",
        'step check "Check that the filter is in place":', f"    assert page.url contains \"max_price={budget}\"",
    ]  # fmt: skip
    url = f"__DEMO__/search?category={category}&max_price={budget}&sort={order}"
    return content, intent, _plan(f"Show {category.lower()} up to ${budget}, {phrase}", steps), _url(url)


def navigation(rng: random.Random) -> tuple:
    if rng.random() < 0.5:
        category = rng.choice(CATEGORIES)
        content = ("category", category)
        intent = rng.choice(
            (f"Browse all the {category.lower()} the shop sells.", f"Show me every {SINGULAR[category]} in the shop.")
        )
        steps = [f"step browse {_q(f'Open the {category.lower()} category')}:",
                 f"    click link {_q(category)} within css \".categories\"", '    wait for heading "All products"']  # fmt: skip
        return (
            content,
            intent,
            _plan(f"Browse the {category.lower()}", steps, uses_web=False),
            _url(f"__DEMO__/search?category={category}"),
        )
    p = rng.choice(PRODUCTS)
    content = ("product", p.id)
    intent = rng.choice((f"Open the product page of the {p.title}.", f"Take me to the {p.title}'s page."))
    steps = _open_product(p)
    return (
        content,
        intent,
        _plan(f"Open the {p.title}'s product page", steps),
        _url(f"__DEMO__/product/{p.id}", exact=True),
    )


def cart_edit(rng: random.Random) -> tuple:
    n = rng.randint(2, 5)
    p = rng.choice([p for p in PRODUCTS if p.stock >= n])
    content = (p.id, n)
    intent = rng.choice((
        f"Add a {p.title} to my cart, then change its quantity to {n}.",
        f"Put one {p.title} in my cart and then make it {NUMBERS[n]}.",
    ))  # fmt: skip
    steps = _open_product(p) + [
        "step add: add_to_cart(1)", "",
        f"step quantity {_q(f'Change the quantity of the {p.title} to {n}')}:",
        f"    fill label {_q(f'Quantity for {p.title}')} with {n}",
        f"    click button {_q(f'Update {p.title}')}",
    ]  # fmt: skip
    return content, intent, _plan(f"Put {n} x {p.title} in the cart in two moves", steps), _cart(f"{n} x {p.title}")


Family = Callable[[random.Random], tuple]
FAMILIES: dict[str, Family] = {
    "search-cheapest": search_cheapest,
    "product-info": product_info,
    "cart-add": cart_add,
    "search-filter": search_filter,
    "navigation": navigation,
    "cart-edit": cart_edit,
}
START = {"search-filter": "__DEMO__/search"}


def families(names: str | None) -> list[str]:
    """The families a comma-separated list names (every family when it is empty or None)."""
    chosen = [n.strip() for n in (names or "").split(",") if n.strip()] or list(FAMILIES)
    unknown = [n for n in chosen if n not in FAMILIES]
    if unknown:
        raise DemoTaskError(f"no demo task family {', '.join(map(repr, unknown))}; the families: {', '.join(FAMILIES)}")
    return chosen


def instance(family: str, seed: int) -> Instance:
    """Seed ``seed`` of a family: a content on the side of the split its seed belongs to."""
    make = FAMILIES[family]
    evaluation = seed >= HELD_OUT_SEED
    for attempt in range(1000):
        rng = random.Random(f"{family}:{seed}:{attempt}")
        content, intent, plan, spec = make(rng)
        if held_out(family, content) == evaluation:
            return Instance(
                f"{family}-{seed}", family, seed, content, intent, plan, spec, START.get(family, "__DEMO__")
            )
    raise DemoTaskError(
        f"family {family} has no {'held-out' if evaluation else 'training'} content"
    )  # pragma: no cover


def instances(names: list[str], count: int, first_seed: int) -> list[Instance]:
    """``count`` instances of each family from ``first_seed`` on; a seed whose content an earlier seed of the
    run already drew is skipped (the next seed is taken), so every instance asks something new, as long as
    the family has contents left.  Training seeds never run into the held-out ones."""
    out: list[Instance] = []
    for family in names:
        seen: set[tuple] = set()
        seed, misses = first_seed, 0
        end = HELD_OUT_SEED if first_seed < HELD_OUT_SEED else None  # a training run stays below the line
        while len(seen) < count and misses < 50 * count and seed != end:
            made = instance(family, seed)
            seed += 1
            if made.content in seen:
                misses += 1
                continue
            seen.add(made.content)
            out.append(made)
    return out


def write_tasks(chosen: list[Instance], out: Path) -> tuple[Path, Path]:
    """OUT/tasks.json (WebArena format, ``__DEMO__`` placeholders) and OUT/plans/TASK_ID.pa, each written whole
    or not at all (:func:`~planact.run.records.write_whole`), so an interrupted write leaves the old files."""
    plans = out / "plans"
    plans.mkdir(parents=True, exist_ok=True)
    for item in chosen:
        path = plans / f"{item.task_id}.pa"
        if not path.exists() or path.read_text(encoding="utf-8") != item.plan:
            write_whole(path, item.plan)
    tasks = out / "tasks.json"
    write_whole(tasks, json.dumps([i.config() for i in chosen], indent=1) + "\n")
    return tasks, plans
