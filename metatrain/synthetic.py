"""Tiny synthetic stores in the labels.jsonl format, for tests and smoke runs of the harness."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

_WORDS = ("Alpine", "Nordic", "Urban", "Classic", "Swift", "Solid", "Bright", "Calm", "Prime")
_THINGS = ("Kettle", "Lamp", "Jacket", "Backpack", "Chair", "Speaker", "Mug", "Drill", "Novel")
_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><title>{name} | {store}</title></head>
<body>
<header><nav class="menu"><ul>{menu}</ul></nav></header>
<main>
 <div id="product">
  <ol class="crumbs">{crumbs}</ol>
  <h1 class="product-title">{name}</h1>
  <div class="price-box">{promo}<span class="label">Price:</span>
   <span class="price">{price_shown}</span></div>
  <p class="stock">{stock}</p>
  <img id="main-image" src="/img/{slug}.jpg" alt="{name}">
  <dl class="specs"><dt>Brand</dt><dd>{brand}</dd><dt>Item no.</dt><dd>{sku}</dd>{extra}</dl>
  <div class="description"><p>{description}</p></div>
 </div>
</main>
<footer><p>(c) {store}</p></footer>
</body></html>
"""


def store_pages(
    store: str, n: int, seed: int = 0, extra_attribute: str = ""
) -> list[dict[str, Any]]:
    """`n` product pages of one store: records with `html` and the `labels` they show."""
    rng = random.Random(f"{store}/{seed}")
    pages = []
    for i in range(n):
        name = f"{rng.choice(_WORDS)} {rng.choice(_THINGS)} {rng.randint(2, 99)}"
        price = f"{rng.randint(5, 400)}.{rng.randint(0, 99):02d}"
        brand = rng.choice(("Acme", "Borealis", "Cobalt", "Dune"))
        sku = f"{store[:2].upper()}-{rng.randint(10000, 99999)}"
        stock = rng.choice(("In stock", "Out of stock"))
        crumbs = ["Home", rng.choice(("Kitchen", "Outdoor", "Office")), name]
        labels: dict[str, Any] = {
            "name": name,
            "price": price,
            "currency": "EUR",
            "availability": "InStock" if stock == "In stock" else "OutOfStock",
            "brand": brand,
            "sku": sku,
            "image": f"https://{store}.example/img/p{i}.jpg",
            "breadcrumb": crumbs,
        }
        extra = ""
        if extra_attribute:
            value = f"{extra_attribute.title()} {rng.randint(100, 999)}"
            labels[extra_attribute] = value
            extra = f"<dt>{extra_attribute.title()}</dt><dd>{value}</dd>"
        menu_items = rng.randint(3, 6)  # shifts nothing inside main, but varies the page
        html = _TEMPLATE.format(
            store=store,
            name=name,
            slug=f"p{i}",
            price_shown=price.replace(".", ",") + " €",
            stock=stock,
            brand=brand,
            sku=sku,
            extra=extra,
            description=f"The {name} by {brand}: made to last.",
            menu="".join(f"<li><a href='/c{j}'>Cat {j}</a></li>" for j in range(menu_items)),
            promo="<span class='promo'>-10%</span>" if i % 2 else "",
            crumbs="".join(f"<li><a href='#'>{c}</a></li>" for c in crumbs),
        )
        pages.append({"site": store, "url": f"https://{store}.example/p/{i}", "html": html,
                      "labels": labels})  # fmt: skip
    return pages


def write_stores(
    out: str | Path,
    stores: int = 3,
    pages: int = 5,
    seed: int = 0,
    industries: tuple[str, ...] = ("home", "books"),
) -> Path:
    """Write synthetic stores to `out`/pages and `out`/labels.jsonl; return the labels path.

    Stores of the `books` industry carry an extra `author` attribute (a new attribute).
    """
    out = Path(out)
    lines = []
    for s in range(stores):
        industry = industries[s % len(industries)]
        site = f"shop{s}-{industry}"
        extra = "author" if industry == "books" else ""
        for i, page in enumerate(store_pages(site, pages, seed, extra), 1):
            file = f"pages/{site}/{i}.html"
            (out / file).parent.mkdir(parents=True, exist_ok=True)
            (out / file).write_text(page["html"], encoding="utf-8")
            lines.append({"site": site, "file": file, "url": page["url"],
                          "labels": page["labels"], "industry": industry})  # fmt: skip
    labels = out / "labels.jsonl"
    labels.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return labels
