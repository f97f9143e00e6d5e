"""The demo shop's catalogue, users and forum, generated deterministically."""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("Mice", "Keyboards", "Monitors", "Headphones", "Cables", "Chairs")

_MODELS = {
    "Mice": ["Wireless Mouse", "Gaming Mouse", "Vertical Mouse", "Travel Mouse", "Trackball Mouse", "Silent Mouse", "Ergonomic Mouse", "Bluetooth Mouse", "Wired Mouse", "Mini Mouse"],
    "Keyboards": ["Mechanical Keyboard", "Wireless Keyboard", "Compact Keyboard", "Ergonomic Keyboard", "Gaming Keyboard", "Backlit Keyboard", "Numeric Keypad", "Split Keyboard"],
    "Monitors": ["24-inch Monitor", "27-inch Monitor", "Ultrawide Monitor", "Portable Monitor", "4K Monitor", "Curved Monitor", "Gaming Monitor"],
    "Headphones": ["Wireless Headphones", "Noise Cancelling Headphones", "Studio Headphones", "Earbuds", "Gaming Headset", "Sport Earbuds", "Bluetooth Headset"],
    "Cables": ["USB-C Cable", "HDMI Cable", "DisplayPort Cable", "Ethernet Cable", "Lightning Cable", "Extension Cord", "USB Hub", "Audio Cable"],
    "Chairs": ["Office Chair", "Gaming Chair", "Ergonomic Chair", "Kneeling Chair", "Stool", "Mesh Chair"],
}  # fmt: skip
_BRANDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")


@dataclass
class Product:
    id: int
    name: str
    brand: str
    category: str
    price: float
    stock: int
    rating: float
    description: str

    @property
    def title(self) -> str:
        return f"{self.brand} {self.name}"


def _make_products() -> list[Product]:
    products = []
    pid = 1
    for c_index, category in enumerate(CATEGORIES):
        for m_index, model in enumerate(_MODELS[category]):
            brand = _BRANDS[(c_index + m_index) % len(_BRANDS)]
            base = {"Mice": 12, "Keyboards": 25, "Monitors": 110, "Headphones": 30, "Cables": 5, "Chairs": 80}[category]
            price = round(base + ((pid * 37) % 90) * (base / 40) + 0.99, 2)
            stock = 0 if pid % 7 == 0 else (pid * 13) % 25 + 1
            rating = round(3 + ((pid * 17) % 20) / 10, 1)
            description = (
                f"The {brand} {model} is a dependable choice in {category.lower()}, rated {rating} by our customers."
            )
            products.append(Product(pid, model, brand, category, price, stock, rating, description))
            pid += 1
    return products


PRODUCTS = _make_products()
PRODUCTS_BY_ID = {p.id: p for p in PRODUCTS}

USERS = {"alice": {"password": "wonderland", "name": "Alice Liddell", "admin": False}, "bob": {"password": "builder", "name": "Bob Builder", "admin": False}, "admin": {"password": "admin123", "name": "Shop Admin", "admin": True}}  # fmt: skip

COUPONS = {"SAVE10": 0.10, "WELCOME5": 0.05}

THREADS = [
    {
        "id": 1,
        "title": "Which wireless mouse do you recommend?",
        "author": "bob",
        "posts": ["I need a quiet one for the office.", "The Globex Silent Mouse is great."],
    },
    {
        "id": 2,
        "title": "Monitor arm compatibility",
        "author": "alice",
        "posts": ["Does the 27-inch Monitor fit a VESA 100 arm?"],
    },
    {
        "id": 3,
        "title": "Shipping times to Canada",
        "author": "bob",
        "posts": ["How long does standard shipping take?", "About a week for me."],
    },
]
