"""The value matcher on real pages (../shared/realpages) and on small hand-made pages."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from extractor.page.dom import iter_text_nodes, parse_html, text_nodes
from extractor.values.matching import image_candidates, match_values
from extractor.values.normalize.prices import parse_price


def _page(realpages: Path, file: str) -> tuple[dict[str, Any], Any, list[Any]]:
    rows = [json.loads(line) for line in (realpages / "labels.jsonl").open(encoding="utf-8")]
    row = next(r for r in rows if r["file"] == file)
    root = parse_html((realpages / file).read_bytes())
    return row, root, list(iter_text_nodes(root))


def _span_ok(nodes: list[Any], span: dict[str, Any]) -> None:
    node = next(n for n in nodes if n["xpath"] == span["xpath"])
    assert node["text"][span["start"] : span["end"]] == span["text"]


@pytest.mark.parametrize(
    "file",
    [
        "pages/hm.com/1.html",
        "pages/zalando.de/1.html",
        "pages/wayfair.com/1.html",
        "pages/snipes.com/1.html",
        "pages/visunext.at/1.html",
        "pages/thomann.de/1.html",
        "pages/jumia.com.ng/1.html",
    ],
)
def test_name_and_price_found_on_real_pages(realpages: Path, file: str) -> None:
    row, root, nodes = _page(realpages, file)
    labels = {k: row["labels"][k] for k in ("name", "price") if k in row["labels"]}
    result = match_values(nodes, labels, row["url"], root=root)
    assert result.found("name") and result.found("price"), result.missing
    for spans in result.spans.values():
        for span in spans:
            _span_ok(nodes, span)
    name = result.spans["name"][0]["text"].casefold()
    assert name and name.split()[0] in row["labels"]["name"].casefold()
    price_text = "".join(s["text"] for s in result.spans["price"])
    price = parse_price(price_text.replace(",", ".")) if len(result.spans["price"]) > 1 else None
    assert parse_price(result.spans["price"][0]["text"]) == parse_price(labels["price"]) or price


def test_h1_wins_for_name_and_price_is_near_it(realpages: Path) -> None:
    row, root, nodes = _page(realpages, "pages/zalando.de/1.html")
    result = match_values(nodes, {"name": "Sunglasses - grey", "price": "214.95"}, row["url"])
    name_xpath = result.spans["name"][0]["xpath"]
    assert next(n for n in nodes if n["xpath"] == name_xpath)["tag"] == "h1"
    # The same price shows again in "similar products" further down: the first one is chosen.
    assert len(result.occurrences["price"]) > 1
    order = [n["xpath"] for n in nodes]
    assert order.index(result.spans["price"][0]["xpath"]) < order.index(
        result.occurrences["price"][1][0]["xpath"]
    )


def test_value_not_on_the_page_is_reported_missing(realpages: Path) -> None:
    row, root, nodes = _page(realpages, "pages/hm.com/1.html")
    labels = {"name": row["labels"]["name"], "price": "987.65", "sku": "ZZ99999999", "brand": ""}
    result = match_values(nodes, labels, row["url"])
    assert result.found("name")
    assert "price" in result.missing and "987.65" in result.missing["price"]
    assert "sku" in result.missing
    assert "brand" not in result.missing and "brand" not in result.spans  # empty value: nothing


def test_identifiers_breadcrumbs_and_images_on_a_real_page(realpages: Path) -> None:
    row, root, nodes = _page(realpages, "pages/computeruniverse.net/1.html")
    labels = {k: row["labels"][k] for k in ("name", "sku", "mpn", "breadcrumb", "image", "brand")}
    result = match_values(nodes, labels, row["url"], root=root)
    for attribute in ("name", "sku", "mpn", "brand"):
        assert result.found(attribute), (attribute, result.missing)
    # "Home" is an icon on this page: the other items are matched in order, the miss is reported.
    assert [s["text"] for s in result.spans["breadcrumb"]] == row["labels"]["breadcrumb"][1:]
    assert "'Home'" in result.partial["breadcrumb"]
    assert result.found("image") and result.images["image"][0]["url"].startswith("https://")
    assert image_candidates(root, row["url"])
    without_root = match_values(nodes, {"image": row["labels"]["image"]}, row["url"])
    assert "root=" in without_root.missing["image"]


def test_matcher_is_fast_on_a_large_page(realpages: Path) -> None:
    row, root, nodes = _page(realpages, "pages/snipes.com/1.html")
    start = time.perf_counter()
    match_values(nodes, row["labels"], row["url"], root=root)
    assert time.perf_counter() - start < 1.0  # about 0.05 s here; a loose bound for slow CI


PAGE = """<html><body>
<nav><a>Home</a> › <a>Audio</a> › <a>Kopfhörer</a></nav>
<div class="carousel"><span class="price">€ 1.299,00</span></div>
<main>
  <h1>SoundMax Pro 3 – Schwarz</h1>
  <p>Marke: <a class="brand">SoundMax</a></p>
  <p>Art.-Nr.: SM-PRO-3 · EAN 4711121603488</p>
  <del class="old-price">1.499,00 €</del>
  <span class="price"><span>1.299,</span><sup>00</sup> <span>€</span></span>
  <p class="stock">Nur noch 2 Stück auf Lager</p>
  <div class="rating">4,5 von 5 Sternen (1.027 Bewertungen)</div>
  <p>Der SoundMax Pro 3 ist ein kabelloser Kopfhörer mit Geräuschunterdrückung.</p>
  <p>Bis zu 40 Stunden Akkulaufzeit.</p>
  <img src="/img/soundmax-pro-3-black.jpg?w=600">
</main></body></html>"""


def test_hand_made_page_every_attribute() -> None:
    nodes = text_nodes(PAGE)
    labels = {
        "name": "SoundMax Pro 3",
        "price": "1299.00",
        "regular_price": "1499",
        "currency": "EUR",
        "availability": "InStock",
        "brand": "SoundMax",
        "sku": "SMPRO3",
        "gtin": "4711121603488",
        "breadcrumb": ["Home", "Audio", "Kopfhörer"],
        "rating": "4.5",
        "review_count": "1027",
        "description": "Der SoundMax Pro 3 ist ein kabelloser Kopfhörer mit "
        "Geräuschunterdrückung. Bis zu 40 Stunden Akkulaufzeit.",
    }
    result = match_values(nodes, labels, "https://shop.example/p/3", root=parse_html(PAGE))
    assert not result.missing, result.missing
    texts = {a: [s["text"] for s in spans] for a, spans in result.spans.items()}
    assert texts["name"] == ["SoundMax Pro 3"] and "/h1" in result.spans["name"][0]["xpath"]
    assert texts["price"] == ["1.299", "00"]  # split over two nodes, not the carousel's
    assert "/main/" in result.spans["price"][0]["xpath"]
    assert texts["regular_price"] == ["1.499,00"]
    assert texts["currency"] == ["€"]
    assert texts["availability"][0].casefold() in ("nur noch 2", "auf lager")
    assert texts["sku"] == ["SM-PRO-3"] and texts["gtin"] == ["4711121603488"]
    assert texts["brand"] == ["SoundMax"]
    assert texts["breadcrumb"] == ["Home", "Audio", "Kopfhörer"]
    assert texts["rating"] == ["4,5"] and texts["review_count"] == ["1.027"]
    assert len(texts["description"]) == 2
    assert "image" not in result.spans  # text nodes hold no images; matched on elements


def test_never_guesses_a_bare_number_as_price() -> None:
    nodes = text_nodes("<html><body><h1>Shirt</h1><p>Size 8</p><footer>8</footer></body></html>")
    result = match_values(nodes, {"price": "8"})
    assert "price" in result.missing


def test_a_regular_price_class_is_the_price_not_a_struck_one() -> None:
    # arket.com: the product's price carries "is-regular"; a quick-buy block repeats the price.
    filler = "".join(f"<p>Detail {k}</p>" for k in range(30))
    html = (
        "<html><body><main><h1>Pima Cotton Trunks</h1>"
        "<span class='is-regular productPrice'>€10</span>"
        f"{filler}<div class='quickbuy'><span>Pima Cotton Trunks</span>"
        "<span class='price'>€10</span></div></main></body></html>"
    )
    nodes = text_nodes(html)
    result = match_values(nodes, {"name": "Pima Cotton Trunks", "price": "10"})
    assert result.spans["price"][0]["xpath"] == "/html/body/main/span"


def test_far_away_phrases_are_not_guessed() -> None:
    menu = "".join(f"<li><a>Kategorie {k}</a></li>" for k in range(300))
    html = (
        f"<html><body><nav><a>Nur verfügbare Artikel</a><ul>{menu}</ul></nav>"
        "<main><h1>Kanne</h1><span class='price'>29,00 €</span></main></body></html>"
    )
    result = match_values(
        text_nodes(html), {"name": "Kanne", "price": "29", "availability": "InStock"}
    )
    assert result.found("price") and "availability" in result.missing
    assert result.not_shown() == {"availability"}


def test_a_list_item_over_several_nodes_is_one_item() -> None:
    nodes = text_nodes(
        "<html><body><h1>Pancakes</h1><ul>"
        "<li><span>2</span> <span>cups</span> <span>flour</span></li>"
        "<li><span>1</span> <span>egg</span></li><li>a pinch of salt</li></ul></body></html>"
    )
    labels = {"ingredients": ["2 cups flour", "1 egg", "a pinch of salt"]}
    result = match_values(nodes, labels)
    spans = result.spans["ingredients"]
    assert not result.partial and not result.missing
    assert [(s["text"], s["item"]) for s in spans] == [
        ("2", 0), ("cups", 0), ("flour", 0), ("1", 1), ("egg", 1), ("a pinch of salt", 2),
    ]  # fmt: skip


def test_a_list_is_matched_where_most_of_its_items_stand() -> None:
    """A post's paragraph shows the first two ingredients whole (the third otherwise); its
    recipe card, further down, shows all three, each in three spans: the card is where the list
    stands."""
    nodes = text_nodes(
        "<html><body><h1>Tortillas</h1><p>You need 2 cups Masa Harina<br>1/2 teaspoon salt<br>"
        f"1.5 cups of warm water</p>{'<p>Mix and rest.</p>' * 20}<ul>"
        "<li><span>2</span> <span>cups</span> <span>Masa Harina</span></li>"
        "<li><span>1/2</span> <span>teaspoon</span> <span>salt</span></li>"
        "<li><span>1.5</span> <span>cups</span> <span>warm water</span></li></ul></body></html>"
    )
    labels = {"ingredients": ["2 cups Masa Harina", "1/2 teaspoon salt", "1.5 cups warm water"]}
    result = match_values(nodes, labels)
    assert not result.partial and not result.missing
    assert {s["xpath"].split("/")[-2] for s in result.spans["ingredients"]} == {
        "li[1]", "li[2]", "li[3]",
    }  # fmt: skip


def test_long_steps_and_steps_in_many_nodes_are_items() -> None:
    """A step of 500 characters in a node of its own, and a step whose amounts the page sets in
    `<em>` (nine nodes), are items of the instructions."""
    long_step = "Bake until the centre is only slightly jiggly. " * 11
    nodes = text_nodes(
        f"<html><body><h1>Cheesecake</h1><ol><li>{long_step}</li><li>Mix the soy sauce "
        "<em>(2 tablespoons)</em>, sesame oil <em>(1 tablespoon)</em>, honey <em>(1 teaspoon)"
        "</em>, garlic <em>(1 clove)</em> and ginger.</li><li>Serve.</li></ol></body></html>"
    )
    steps = [
        long_step,
        "Mix the soy sauce (2 tablespoons), sesame oil (1 tablespoon), honey (1 teaspoon), garlic"
        " (1 clove) and ginger.",
        "Serve.",
    ]
    result = match_values(nodes, {"instructions": steps})
    assert len(long_step) > 500 and not result.partial and not result.missing
    assert sorted({s["item"] for s in result.spans["instructions"]}) == [0, 1, 2]


def test_an_image_not_shown_does_not_match_the_logo_through_a_shared_path_word() -> None:
    # A WordPress page: every image lives under wp-content/uploads; the gold image (the social
    # image of the markup) is not shown, so nothing may match; a shown one still matches by id.
    site = "https://blog.example/wp-content/uploads/2024"
    images = "".join(
        f'<img src="{site}/{n}.jpg">' for n in ("site-logo", "pie-1", "pie-2", "pie-3")
    )
    html = f"<html><body><header>{images[:60]}</header><p>Apple pie</p>{images}</body></html>"
    root = parse_html(html.encode())
    nodes = list(iter_text_nodes(root))
    url = "https://blog.example/x"
    not_shown = match_values(nodes, {"image": f"{site}/apple-pie-social.jpg"}, url, root=root)
    assert not not_shown.found("image") and "no image element" in not_shown.missing["image"]
    resized = match_values(nodes, {"image": f"{site}/pie-2.jpg?w=1200"}, url, root=root)
    assert resized.images["image"][0]["url"] == f"{site}/pie-2.jpg"


def test_a_description_its_links_split_is_matched_from_its_first_words() -> None:
    """The longest run of the description stands after the link: the matched value starts
    with the words before it, not with the heading that repeats the link's words."""
    html = (
        "<html><body><h1>Strawberry buckle</h1><p>This easy <a href='/b'>strawberry buckle</a>"
        " is an old-fashioned dessert made with fresh strawberries and a crumble.</p></body></html>"
    )
    nodes = text_nodes(html)
    value = (
        "This easy strawberry buckle is an old-fashioned dessert made with fresh strawberries"
        " and a crumble."
    )
    spans = match_values(nodes, {"description": value}).spans["description"]
    assert [s["text"] for s in spans] == [
        "This easy",
        "strawberry buckle",
        "is an old-fashioned dessert made with fresh strawberries and a crumble",
    ]


def test_a_long_description_in_one_node_is_matched_to_its_last_word() -> None:
    """The matcher finds a description by its first 40 words: in a node that goes on with the
    rest of it, the span goes on too, to the value's last word (not to its 40th)."""
    words = [f"word{k}" for k in range(60)]
    value = " ".join(words) + "."
    nodes = text_nodes(f"<html><body><h1>Cake</h1><p>{value}</p><p>Next</p></body></html>")
    (span,) = match_values(nodes, {"description": value}).spans["description"]
    assert span["text"] == " ".join(words)
    # a node that shows only the first words of it is matched as far as it agrees
    cut = " ".join(words[:45]) + " other words"
    nodes = text_nodes(f"<html><body><h1>Cake</h1><p>{cut}</p></body></html>")
    (span,) = match_values(nodes, {"description": value}).spans["description"]
    assert span["text"] == " ".join(words[:45])


def test_a_description_goes_on_only_over_nodes_that_continue_it() -> None:
    """The nodes after a description join it only where their words continue its words: a
    heading below it whose word the description holds somewhere (`wraps`) is not part of it;
    paragraphs a feed glues without a space, or writes with HTML tags, are."""
    html = (
        "<html><body><h1>Tofu wraps</h1><header><span>These wraps are full of surprising"
        " flavours and crunchy tofu strips.</span></header><h3><span>wraps</span></h3>"
        "<p>More</p></body></html>"
    )
    value = "These wraps are full of surprising flavours and crunchy tofu strips!"
    spans = match_values(text_nodes(html), {"description": value}).spans["description"]
    assert [s["text"] for s in spans] == [
        "These wraps are full of surprising flavours and crunchy tofu strips"
    ]
    html = (
        "<html><body><h1>Monitor</h1><div><p>Display features:</p><p>Size: 23.8 inch</p>"
        "<p>Panel: IPS, matte surface</p><p>Resolution: 1920 x 1080</p></div>"
        "<h2>Resolution</h2></body></html>"
    )
    glued = "Display features:Size: 23.8 inchPanel: IPS, matte surfaceResolution: 1920 x 1080"
    tagged = (
        "<p><strong>Display features:</strong></p><ul><li>Size: 23.8 inch</li>"
        "<li>Panel: IPS, matte surface</li><li>Resolution: 1920 x 1080</li></ul>"
    )
    for value in (glued, tagged):
        spans = match_values(text_nodes(html), {"description": value}).spans["description"]
        assert [s["text"].rstrip(":") for s in spans] == [
            "Display features",
            "Size: 23.8 inch",
            "Panel: IPS, matte surface",
            "Resolution: 1920 x 1080",
        ]


def _post(title: str, card: str, between: int = 60) -> str:
    """A recipe post: its title, a long story, then the recipe card with the record's values."""
    story = "".join(f"<p>Story paragraph {k} about dinner.</p>" for k in range(between))
    return (
        f"<html><body><main><article><h1>{title}</h1>{story}"
        f"<div class='recipe-card'><h2 class='recipe-name'>{card}</h2>"
        "<span>Author</span><span>Dana Rao</span><span>Course</span><span>Dinner</span>"
        "<ul><li>2 chicken breasts</li><li>4 cloves garlic</li></ul>"
        "</div></article></main></body></html>"
    )


_CARD_LABELS = {
    "author": "Dana Rao",
    "category": "Dinner",
    "ingredients": ["2 chicken breasts", "4 cloves garlic"],
}
_CARD = "/html/body/main/article/div/h2"


def test_the_name_is_the_heading_among_the_records_other_values() -> None:
    # cookwithdana.com: the post's title says more than the recipe card's name; the card's
    # heading shows the name whole beside the author, the course and the ingredients.
    labels = {"name": "Creamy Garlic Chicken", **_CARD_LABELS}
    result = match_values(
        text_nodes(_post("One Pot Creamy Garlic Chicken", "Creamy Garlic Chicken")), labels
    )
    assert result.spans["name"][0]["xpath"] == _CARD
    # where the title shows the same name, the card's heading is still the record's place
    same = match_values(text_nodes(_post("Creamy Garlic Chicken", "Creamy Garlic Chicken")), labels)
    assert same.spans["name"][0]["xpath"] == _CARD
    assert [s[0]["xpath"] for s in same.occurrences["name"]][:2] == [
        _CARD,
        "/html/body/main/article/h1",
    ]


def test_a_name_that_ends_in_a_bracketed_code_is_spanned_with_its_closing_bracket() -> None:
    html = "<html><body><h1>G-Master Monitor weiß (GB2470HSU-W5)</h1><p>199,00 €</p></body></html>"
    result = match_values(text_nodes(html), {"name": "G-Master Monitor weiß (GB2470HSU-W5)"})
    assert result.spans["name"][0]["text"] == "G-Master Monitor weiß (GB2470HSU-W5)"


def test_a_products_heading_stays_the_name_where_its_price_stands() -> None:
    # the product description repeats the name as a heading far below the buy box
    filler = "".join(f"<p>Detail {k}</p>" for k in range(80))
    html = (
        "<html><body><main><h1>Lenovo L24i Monitor</h1><span class='price'>€129,00</span>"
        "<span>Auf Lager</span><span>Art.-Nr.</span><span>L24I40</span>"
        f"{filler}<section><h2>Lenovo L24i Monitor</h2><p>A monitor for the office.</p>"
        "</section></main></body></html>"
    )
    labels = {"name": "Lenovo L24i Monitor", "price": "129", "sku": "L24I40",
              "availability": "InStock"}  # fmt: skip
    result = match_values(text_nodes(html), labels)
    assert result.spans["name"][0]["xpath"] == "/html/body/main/h1"
    assert result.found("price") and result.found("sku")


def test_image_widths_come_from_srcset_and_file_names() -> None:
    """A srcset entry declares its width (`800w`), a resized copy its size in its name
    (`-300x200`), and the URL its copies name without a size is the original, the widest."""
    from extractor.values.matching.images import image_widths

    root = parse_html(
        b"<html><body><img src='/p/photo-300x200.jpg' data-large_image='/p/photo.jpg'"
        b" srcset='/p/photo-800x533.jpg 800w, /p/other.jpg'></body></html>"
    )
    (img,) = root.iter("img")
    widths = image_widths(img, "https://shop.example/x")
    assert widths == {
        "https://shop.example/p/photo-300x200.jpg": 300.0,
        "https://shop.example/p/photo-800x533.jpg": 800.0,
        "https://shop.example/p/photo.jpg": float("inf"),
    }
