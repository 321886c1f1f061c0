"""Decoding golden cases: window merge, spans, list attributes, confidence, conflicts.

The price rules (`extractor.values.price_rules`) have their own cases in test_price_rules.py.
"""

from __future__ import annotations

import dataclasses
import re

import torch

from extractor.neural.decode import (
    ITEM_CHARS,
    Candidate,
    choose_values,
    decode_page,
    item_texts,
    merge_windows,
    snap_to_phrase,
    snap_to_token,
    snap_to_words,
    whole_blocks,
    with_items_between,
)
from extractor.neural.features import Window
from extractor.page.dom import Node
from extractor.values.normalize.availability import normalize_availability

ATTRS = ["name", "price", "breadcrumb"]  # classes: O, B-name, I-name, B-price, I-price, B-bc, I-bc


def node(xpath: str, text: str, cls: str = "") -> Node:
    """A text node: its tag is its XPath's element; its hints are only a class, if any."""
    tag = re.sub(r"\[\d+\]$", "", [s for s in xpath.split("/") if s[:6] != "text()"][-1])
    attrs = {"class": cls, "id": "", "itemprop": "", "aria-label": ""}
    return Node(xpath=xpath, text=text, tag=tag, attrs=attrs)  # type: ignore[typeddict-item]


def window(node_ids: list[int], tokens: list[tuple[int, int, int]]) -> Window:
    """A window with the given (node, start, end) tokens between [CLS] and [SEP]."""
    tokens = [(-1, 0, 0), *tokens, (-1, 0, 0)]
    return Window(
        node_ids=node_ids,
        input_ids=[0] * len(tokens),
        token_node=[t[0] for t in tokens],
        token_start=[t[1] for t in tokens],
        token_end=[t[2] for t in tokens],
        xpath_tags=[],
        xpath_subs=[],
        hints=[],
    )


def probs(rows: list[tuple[int, float]]) -> torch.Tensor:
    """Class probabilities: per token, its class gets p, the rest is spread over the others."""
    out = torch.zeros(len(rows), 1 + 2 * len(ATTRS))
    for i, (cls, p) in enumerate(rows):
        out[i] = (1 - p) / (out.shape[1] - 1)
        out[i, cls] = p
    return out


def test_two_windows_merge_into_values_with_confidence() -> None:
    nodes = [
        node("/html/body/nav/a[1]", "Home"),
        node("/html/body/nav/a[2]", "Shoes"),
        node("/html/body/h1", "Red Runner"),
        node("/html/body/p", "Now 49.90 EUR"),
    ]
    w1 = window([0, 1], [(0, 0, 4), (1, 0, 5)])
    w2 = window([2, 3], [(2, 0, 3), (2, 4, 10), (3, 0, 3), (3, 4, 9), (3, 10, 13)])
    p1 = probs([(0, 1.0), (5, 0.9), (5, 0.7), (0, 1.0)])
    p2 = probs([(0, 1.0), (1, 0.9), (2, 0.8), (0, 0.9), (3, 0.6), (0, 0.9), (0, 1.0)])
    merged = merge_windows([w1, w2], [p1, p2])
    assert sorted(merged) == [0, 1, 2, 3]
    assert merged[3].offsets == [(0, 3), (4, 9), (10, 13)]
    result = decode_page(nodes, [w1, w2], [p1, p2], ATTRS)
    assert result.values == {
        "name": "Red Runner",
        "price": "49.90",
        "currency": "EUR",  # written with the price
        "breadcrumb": ["Home", "Shoes"],
    }
    assert abs(result.confidence["name"] - (0.9 + 0.1 / 6 + 0.8 + 0.2 / 6) / 2) < 1e-4
    assert abs(result.confidence["breadcrumb"] - (0.9 + 0.1 / 6 + 0.7 + 0.3 / 6) / 2) < 1e-4
    assert abs(result.confidence["price"] - (0.6 + 0.4 / 6)) < 1e-4


def test_fallback_finds_a_likely_span_no_argmax_chose() -> None:
    nodes = [node("/html/body/h1", "Lamp"), node("/html/body/b", "12.00")]
    w = window([0, 1], [(0, 0, 4), (1, 0, 5)])
    p = torch.tensor([[1, 0, 0, 0, 0, 0, 0], [0.6, 0, 0, 0.3, 0.1, 0, 0]]).float()
    p = torch.cat([torch.zeros(1, 7), p, torch.zeros(1, 7)])
    p[0, 0] = p[-1, 0] = 1
    result = decode_page(nodes, [w], [p], ATTRS)
    assert result.values == {"price": "12.00"}
    assert abs(result.confidence["price"] - 0.4) < 1e-6
    assert decode_page(nodes, [w], [p], ATTRS, fallback_threshold=0.5).values == {}


def cand(attribute: str, node_i: int, text: str, conf: float, start: int = 0) -> Candidate:
    """A candidate span."""
    return Candidate(attribute, node_i, start, start + len(text), text, conf, conf)


def test_one_span_gives_one_attribute_and_the_runner_up_takes_over() -> None:
    nodes = [
        node("/html/body/h1", "Desk"),
        node("/html/body/s", "99.00"),
        node("/html/body/b", "79.00"),
    ]
    candidates = [
        cand("price", 2, "79.00", 0.9),
        cand("regular_price", 2, "79.00", 0.6),
        cand("regular_price", 1, "99.00", 0.5),
    ]
    result = choose_values(candidates, nodes)
    assert result.values == {"price": "79.00", "regular_price": "99.00"}
    assert result.confidence == {"price": 0.9, "regular_price": 0.5}


def test_a_node_may_hold_two_attributes_in_separate_spans() -> None:
    nodes = [node("/html/body/b", "EUR 12.00")]
    result = choose_values(
        [cand("currency", 0, "EUR", 0.9), cand("price", 0, "12.00", 0.8, 4)], nodes
    )
    assert result.values == {"currency": "EUR", "price": "12.00"}


def test_price_prefers_the_name_block_over_a_carousel() -> None:
    nodes = [node("/html/body/main/h1", "Chair"), node("/html/body/main/div/span", "59.00")]
    nodes += [node(f"/html/body/div/ul/li[{i}]/span", f"{i}9.00") for i in range(1, 5)]
    candidates = [cand("name", 0, "Chair", 0.95), cand("price", 1, "59.00", 0.7)]
    candidates += [cand("price", 1 + i, f"{i}9.00", 0.8) for i in range(1, 5)]
    assert choose_values(candidates, nodes).values["price"] == "59.00"


def test_a_price_span_cut_at_a_separator_grows_to_the_whole_amount() -> None:
    """Sub-word tokens split `228,90`; a tag on `90` alone must not give the price 90."""
    nodes = [node("/html/body/h1", "Monitor"), node("/html/body/span", "228,90 €")]
    win = window([0, 1], [(0, 0, 7), (1, 0, 3), (1, 3, 4), (1, 4, 6), (1, 7, 8)])
    out = decode_page(
        nodes,
        [win],
        [probs([(0, 0.9), (1, 0.9), (0, 0.9), (0, 0.9), (3, 0.9), (0, 0.9), (0, 0.9)])],
        ATTRS,
    )
    assert out.values["price"] == "228,90"
    assert out.values["name"] == "Monitor"
    assert out.values["currency"] == "€"  # written with the price


def test_a_number_span_cut_at_its_decimal_point_grows_to_the_whole_number() -> None:
    """Sub-word tokens split `4.97`; a rating tagged on `4` alone is 4.97, not 4."""
    nodes = [node("/html/body/h1", "Cake"), node("/html/body/span", "4.97 from 30 votes")]
    tokens = [(0, 0, 4), (1, 0, 1), (1, 1, 2), (1, 2, 4), (1, 5, 9), (1, 10, 12), (1, 13, 18)]
    rows = [(0, 0.9), (1, 0.9), (5, 0.9), *[(0, 0.9)] * 5, (0, 0.9)]
    out = decode_page(nodes, [window([0, 1], tokens)], [probs(rows)], ["name", "price", "rating"])
    assert out.values == {"name": "Cake", "rating": "4.97"}


def test_the_prices_own_currency_beats_a_currency_span_elsewhere() -> None:
    nodes = [node("/html/body/h1", "Monitor"), node("/html/body/span", "228,90 €")]
    nodes.append(node("/html/body/footer/p", "Prices in USD for export"))
    candidates = [cand("name", 0, "Monitor", 0.9), cand("price", 1, "228,90", 0.8)]
    candidates.append(Candidate("currency", 2, 10, 13, "USD", 0.9, 0.9))
    out = choose_values(candidates, nodes)
    assert (out.values["currency"], out.confidence["currency"]) == ("€", 0.8)
    nodes[1] = node("/html/body/span", "228,90")
    assert choose_values(candidates, nodes).values["currency"] == "USD"  # none with the price


def test_snap_to_token_widens_codes_to_the_whole_token() -> None:
    text = "Art.-Nr.: 374837 | EAN (4711377034999). SKU AB-12/3."
    assert text[slice(*snap_to_token(text, 12, 14))] == "374837"
    assert text[slice(*snap_to_token(text, 27, 30))] == "4711377034999"
    assert text[slice(*snap_to_token(text, 46, 48))] == "AB-12/3"


def test_an_identifier_span_cut_out_of_a_word_grows_to_the_code() -> None:
    """A sub-word tag on `37` of `374837` gives the whole code; a code never holds a currency."""
    attrs = ["name", "sku", "breadcrumb"]
    nodes = [
        node("/html/body/h1", "Monitor"),
        node("/html/body/span[1]", "Art.-Nr.: 374837"),
        node("/html/body/span[2]", "£229.00"),
    ]
    tokens = [(0, 0, 7), (1, 0, 8), (1, 8, 9), (1, 10, 12), (1, 12, 14), (1, 14, 16)]
    win = window([0, 1, 2], [*tokens, (2, 0, 1), (2, 1, 4)])
    rows = [(0, 0.9), (1, 0.9), (0, 0.9), (0, 0.9), (3, 0.8), (4, 0.6), (0, 0.9)]
    out = decode_page(nodes, [win], [probs([*rows, (3, 0.9), (0, 0.9), (0, 0.9)])], attrs)
    assert out.values["sku"] == "374837"


def test_a_span_both_prices_claim_is_the_price() -> None:
    """The model leans to `regular_price` on the product's only price; a tile's price must not
    become the price instead."""
    nodes = [node("/html/body/main/h1", "Cap"), node("/html/body/main/span", "14,99 €")]
    nodes += [node(f"/html/body/div/ul/li[{i}]/span", f"{i}9,99 €") for i in range(1, 4)]
    candidates = [cand("regular_price", 1, "14,99", 0.58), cand("price", 1, "14,99", 0.45)]
    candidates += [cand("price", 1 + i, f"{i}9,99", 0.6) for i in range(1, 4)]
    assert choose_values(candidates, nodes).values["price"] == "14,99"


def test_a_name_every_word_of_which_is_tagged_b_is_one_span() -> None:
    """`Ace` + `r` + `CB242Y`, each tagged B-name, is the name `Acer CB242Y`, not `Ace`;
    breadcrumb items tagged B in one node stand apart where the page separates them."""
    nodes = [node("/html/body/h1", "Acer CB242Y"), node("/html/body/p", "Home > Shoes")]
    tokens = [(0, 0, 3), (0, 3, 4), (0, 5, 11), (1, 0, 2), (1, 2, 4), (1, 5, 6), (1, 7, 12)]
    win = window([0, 1], tokens)
    rows = [(0, 0.9), (1, 0.9), (1, 0.6), (1, 0.7), (5, 0.9), (5, 0.8), (0, 0.9), (5, 0.9)]
    out = decode_page(nodes, [win], [probs(rows + [(0, 0.9)])], ATTRS)
    assert out.values["name"] == "Acer CB242Y"
    assert out.values["breadcrumb"] == ["Home", "Shoes"]


def test_a_list_item_is_the_whole_link_text_not_its_words() -> None:
    """`Displays & Projektoren` (B, O, B) and `Herren Schuhe` (B, B) are one item each: nothing
    separates them inside the link; words of the name tagged as the list are not items."""
    nodes = [
        node("/html/body/nav/a[1]", "Displays & Projektoren"),
        node("/html/body/nav/a[2]", "Herren Schuhe"),
        node("/html/body/h1", "Wortmann Terra LCD LED 2748W"),
    ]
    tokens = [(0, 0, 8), (0, 9, 10), (0, 11, 22), (1, 0, 6), (1, 7, 13)]
    tokens += [(2, 0, 8), (2, 9, 14), (2, 15, 18), (2, 19, 22), (2, 23, 28)]
    win = window([0, 1, 2], tokens)
    rows = [(0, 0.9), (5, 0.9), (0, 0.8), (5, 0.8), (5, 0.9), (5, 0.7)]
    rows += [(0, 0.9), (0, 0.9), (5, 0.6), (0, 0.9), (5, 0.6), (0, 0.9)]
    out = decode_page(nodes, [win], [probs(rows)], ATTRS)
    assert out.values["breadcrumb"] == ["Displays & Projektoren", "Herren Schuhe"]


def test_a_list_made_only_of_words_in_one_node_keeps_them() -> None:
    """Sizes `S M L` in one sentence: every item is a few words of a longer node, so none is
    dropped as scattered."""
    nodes = [node("/html/body/p", "Sizes: S / M / L in stock")]
    tokens = [(0, 0, 5), (0, 5, 6), (0, 7, 8), (0, 9, 10), (0, 11, 12), (0, 13, 14)]
    tokens += [(0, 15, 16), (0, 17, 19), (0, 20, 25)]
    win = window([0], tokens)
    rows = [(0, 0.9), (0, 0.9), (0, 0.9), (5, 0.9), (0, 0.9), (5, 0.9), (0, 0.9), (5, 0.9)]
    rows += [(0, 0.9), (0, 0.9), (0, 0.9)]
    out = decode_page(nodes, [win], [probs(rows)], ATTRS)
    assert out.values["breadcrumb"] == ["S", "M", "L"]


def test_snap_to_words_widens_to_words_and_past_the_cut() -> None:
    text = "BenQ 80,0cm BL3290QT 16:9 DP/USB-C/HDMI bk.lift/piv WQHD"
    assert text[slice(*snap_to_words(text, 0, 3))] == "BenQ"
    assert text[slice(*snap_to_words(text, 6, 9))] == "80,0cm"
    assert text[slice(*snap_to_words(text, 0, 4))] == "BenQ"
    # The encoder read the node up to `HDMI` (offset 39): a span reaching it runs to the end.
    assert text[slice(*snap_to_words(text, 0, 39, cut=39))] == text
    assert text[slice(*snap_to_words(text, 0, 20, cut=39))] == "BenQ 80,0cm BL3290QT"
    assert text[slice(*snap_to_words(text, 0, len(text), cut=len(text)))] == text
    # a span that opens a bracket reads on to the bracket that closes it, and only that far
    coded = "Monitor weiß (GB2470HSU-W5) [Energieklasse E]"
    assert coded[slice(*snap_to_words(coded, 0, 26))] == "Monitor weiß (GB2470HSU-W5)"
    assert coded[slice(*snap_to_words(coded, 14, 26))] == "GB2470HSU-W5"
    assert coded[slice(*snap_to_words(coded, 29, 44))] == "Energieklasse E"


def test_a_long_name_cut_by_the_node_budget_is_read_whole() -> None:
    """A name node cut short by the encoder's per-node budget: a span up to the last token the
    model saw gives the whole node text; a span ending before it does not grow."""
    text = "Iiyama GB2470HSU-W5 24IN FHD ETE FAST"
    nodes = [node("/html/body/h1", text)]
    win = window([0], [(0, 0, 6), (0, 7, 19)])  # the encoder kept two tokens of the node
    out = decode_page(nodes, [win], [probs([(0, 0.9), (1, 0.9), (2, 0.8), (0, 0.9)])], ATTRS)
    assert out.values["name"] == text
    out = decode_page(nodes, [win], [probs([(0, 0.9), (1, 0.9), (0, 0.8), (0, 0.9)])], ATTRS)
    assert out.values["name"] == "Iiyama"


def test_an_unusable_argmax_span_gives_way_to_a_usable_one() -> None:
    """A tagger sure of a word fragment (`rk`) is no availability: the likeliest span that reads
    as one takes its place; a fragment of a token (`OutOf`) grows to the whole word."""
    attrs = ["availability"]
    nodes = [node("/html/body/a", "Merkzettel"), node("/html/body/span", "Stück verfügbar")]
    w = window([0, 1], [(0, 0, 2), (0, 2, 4), (0, 4, 10), (1, 0, 5), (1, 6, 15)])
    p = torch.tensor(
        [[1, 0, 0], [1, 0, 0], [0.1, 0.9, 0], [1, 0, 0], [0.7, 0.3, 0], [0.6, 0, 0.4], [1, 0, 0]]
    ).float()
    result = decode_page(nodes, [w], [p], attrs)
    assert result.values == {"availability": "verfügbar"}
    assert abs(result.confidence["availability"] - 0.4) < 1e-6
    url = [node("/html/body/link", "https://schema.org/OutOfStock")]
    w = window([0], [(0, 0, 19), (0, 19, 22), (0, 22, 24), (0, 24, 29)])
    p = torch.tensor([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 0, 0]]).float()
    assert decode_page(url, [w], [p], attrs).values == {"availability": "OutOfStock"}


def test_an_availability_tagged_inside_its_phrase_is_the_whole_phrase() -> None:
    """The model's `lagernd` of `Nicht lagernd, ab Bestellung ...` is the node's phrase `Nicht
    lagernd` (out of stock, not in stock); a span beside the phrase stays as it is."""
    attrs = ["availability"]
    text = "Nicht lagernd, ab Bestellung versandfertig in 8 Tagen"
    nodes = [node("/html/body/span", text)]
    w = window([0], [(0, 0, 5), (0, 6, 13), (0, 13, 14), (0, 15, 17), (0, 29, 42)])
    p = torch.tensor([[1, 0, 0], [1, 0, 0], [0.2, 0.8, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0]])
    result = decode_page(nodes, [w], [p.float()], attrs)
    assert result.values == {"availability": "Nicht lagernd"}
    assert normalize_availability(str(result.values["availability"])) == "OutOfStock"
    assert text[slice(*snap_to_phrase(text, 29, 42))] == "versandfertig"


def test_a_value_that_continues_over_nodes_is_joined() -> None:
    nodes = [
        node("/html/body/h1", "Lamp"),
        node("/html/body/div/p[1]", "Warm light."),
        node("/html/body/div/p[2]", "Walnut base."),
        node("/html/body/footer/p", "Contact"),
    ]
    b_name, i_name = 1, 2
    windows = [window([0, 1, 2, 3], [(0, 0, 4), (1, 0, 11), (2, 0, 12), (3, 0, 7)])]
    # name opens on node 1 and continues (I) on node 2; node 3 opens a new one (B)
    rows = [(0, 0.9), (0, 0.9), (b_name, 0.9), (i_name, 0.8), (b_name, 0.3), (0, 0.9)]
    found = decode_page(nodes, windows, [probs(rows)], ATTRS)
    assert found.values["name"] == "Warm light. Walnut base."


def test_a_list_item_is_its_item_element_read_whole() -> None:
    """Amount, unit and name in three nodes of one `<li>` are one ingredient, the untagged unit
    included, in two sections of a recipe; a breadcrumb in one node keeps its items; a menu
    entry too big to be one item keeps its spans."""
    base = "/html/body/div/div"
    nodes = [
        node(f"{base}[1]/h3", "Dough"),
        node(f"{base}[1]/ul/li[1]/span[1]", "100"),
        node(f"{base}[1]/ul/li[1]/span[2]", "g"),
        node(f"{base}[1]/ul/li[1]/span[3]", "pumpkin"),
        node(f"{base}[1]/ul/li[2]/span[1]", "120"),
        node(f"{base}[1]/ul/li[2]/span[2]", "ml"),
        node(f"{base}[1]/ul/li[2]/span[3]", "warm water"),
        node(f"{base}[2]/h3", "Topping"),
        node(f"{base}[2]/ul/li/span[1]", "1"),
        node(f"{base}[2]/ul/li/span[2]", "onion"),
        node("/html/body/p", "Home > Recipes"),
        *[node(f"/html/body/nav/ul/li/a[{i}]", f"Menu entry {i}") for i in range(1, 11)],
    ]
    tagged = [(1, "100"), (3, "pumpkin"), (4, "120"), (6, "warm water"), (8, "1"), (9, "onion")]
    items = [cand("ingredients", i, text, 0.9) for i, text in tagged]
    items += [cand("ingredients", 10, "Home", 0.9), cand("ingredients", 10, "Recipes", 0.9, 7)]
    items += [cand("ingredients", 11, "Menu entry 1", 0.9), cand("ingredients", 12, "Menu", 0.9)]
    assert item_texts(items, nodes) == [
        "100 g pumpkin",
        "120 ml warm water",
        "1 onion",
        "Home",
        "Recipes",
        "Menu entry 1",
        "Menu",
    ]


def test_the_items_the_model_skipped_between_two_it_tagged_are_items() -> None:
    """A breadcrumb's middle links, between two the model tagged in one list, are items; not
    those before the first or after the last, not a sibling another attribute took, not a
    separator, and not an item of another list."""
    crumbs = ["Home", "Kids", "»", "Clothing", "Trousers", "Leggings", "Marble Leggings"]
    nodes = [
        *[node(f"/html/body/nav/ol/li[{i}]/a", text) for i, text in enumerate(crumbs, 1)],
        node("/html/body/ul/li[1]", "Other list"),
    ]
    tagged = [cand("breadcrumb", 1, "Kids", 0.8), cand("breadcrumb", 5, "Leggings", 0.6)]
    taken = [cand("name", 4, "Trousers", 0.9)]
    items = with_items_between(tagged, nodes, taken)
    assert [c.text for c in items] == ["Kids", "Clothing", "Leggings"]
    assert items[1].attribute == "breadcrumb" and abs(items[1].confidence - 0.7) < 1e-6
    chosen = choose_values([*tagged, *taken], nodes, kinds={"breadcrumb": "list"})
    assert chosen.values == {"name": "Trousers", "breadcrumb": ["Kids", "Clothing", "Leggings"]}
    assert with_items_between(tagged[:1], nodes) == tagged[:1]  # one item: no list to fill
    assert with_items_between([tagged[0], cand("breadcrumb", 7, "Other list", 0.8)], nodes) == [
        tagged[0],
        cand("breadcrumb", 7, "Other list", 0.8),
    ]


def test_an_item_tagged_in_pieces_is_read_whole_and_spaced_as_written() -> None:
    """A step the model tagged in several runs of one node (`1/` and `cup walnuts`, the `4`
    untagged), and an ingredient whose note stands in its own node (`, minced`), are one item
    each, with no space before the comma; a node with two items (`S | M`) keeps its runs."""
    base = "/html/body/div/ul"
    nodes = [
        node(f"{base}/li[1]/span", "1/4 cup walnuts"),
        node(f"{base}/li[2]/text()[1]", "1 clove garlic"),
        node(f"{base}/li[2]/em", ", minced"),
        node("/html/body/div/ol/li/span", "S | M"),
    ]
    items = [
        cand("ingredients", 0, "1/", 0.9),
        cand("ingredients", 0, "cup walnuts", 0.9, 4),
        cand("ingredients", 1, "1 clove garlic", 0.9),
        cand("ingredients", 2, "minced", 0.9, 2),
        cand("ingredients", 3, "S", 0.9),
        cand("ingredients", 3, "M", 0.9, 4),
    ]
    assert item_texts(items, nodes) == ["1/4 cup walnuts", "1 clove garlic, minced", "S", "M"]


def test_the_brackets_between_an_items_nodes_stay_in_the_item() -> None:
    """An ingredient whose weight the page puts in brackets between its spans (`1 cup` `(`
    `135 g` `) raw cashews`) keeps both brackets; a bullet beside an item does not join it."""
    base = "/html/body/div/ul/li"
    nodes = [
        node(f"{base}[1]/span[1]", "1 cup"),
        node(f"{base}[1]/text()[1]", " ("),
        node(f"{base}[1]/span[2]", "135 g"),
        node(f"{base}[1]/text()[2]", ") raw cashews"),
        node(f"{base}[2]/i", "•"),
        node(f"{base}[2]/span", "1 garlic clove"),
    ]
    items = [
        cand("ingredients", 0, "1 cup", 0.9),
        cand("ingredients", 3, "raw cashews", 0.9, 2),
        cand("ingredients", 5, "1 garlic clove", 0.9),
    ]
    assert item_texts(items, nodes) == ["1 cup (135 g) raw cashews", "1 garlic clove"]


def test_the_models_items_are_written_as_the_store_writes_its_items() -> None:
    """The store's values put a note the page shows bare in brackets and leave out the
    checkbox beside each ingredient (what the support taught the wrapper, `item_parts`): the
    model's items come out the same way."""
    base = "/html/body/div/ul/li"
    nodes = [
        node(f"{base}[1]/span[1]", "☐", "check"),
        node(f"{base}[1]/span[2]", "2 tbsp butter", "name"),
        node(f"{base}[1]/span[3]", "melted", "notes"),
        node(f"{base}[2]/span[1]", "☐ x", "check"),
        node(f"{base}[2]/span[2]", "1 egg", "name"),
    ]
    items = [cand("ingredients", 1, "2 tbsp butter", 0.9), cand("ingredients", 4, "1 egg", 0.9)]
    parts = (("span", "notes", "(", ")"),)
    skip = (("span", "check"),)
    assert item_texts(items, nodes, parts, skip) == ["2 tbsp butter (melted)", "1 egg"]
    assert item_texts(items, nodes) == ["2 tbsp butter melted", "☐ x 1 egg"]


def test_a_long_step_split_by_its_links_is_one_item() -> None:
    """A step longer than a menu entry may be (`ITEM_CHARS`), in many nodes of one paragraph
    (its amounts in links), is one item; a list item of links alone stays a menu."""
    base = "/html/body/ol/li[1]/div/span"
    words = ["Mix the", "½ cup yogurt", ",", "2 tablespoons oil", "and", "1 teaspoon salt"]
    tail = "in a shallow bowl until smooth, then add the fish and turn it to coat. " * 4
    nodes = [
        node(f"{base}/text()[1]", words[0]),
        node(f"{base}/a[1]", words[1]),
        node(f"{base}/text()[2]", words[2]),
        node(f"{base}/a[2]", words[3]),
        node(f"{base}/text()[3]", words[4]),
        node(f"{base}/a[3]", words[5]),
        node(f"{base}/text()[4]", tail.strip()),
        node("/html/body/ol/li[2]/div/span", "Bake."),
    ]
    items = [cand("instructions", 0, words[0], 0.9), cand("instructions", 6, "in a shallow", 0.9)]
    items.append(cand("instructions", 7, "Bake.", 0.9))
    step = f"Mix the ½ cup yogurt, 2 tablespoons oil and 1 teaspoon salt {tail.strip()}"
    assert len(step) > ITEM_CHARS
    assert item_texts(items, nodes) == [step, "Bake."]


def test_a_value_the_store_shows_as_a_whole_block_is_read_as_its_block() -> None:
    """The model tagged `This easy`, the words before the link that splits the description's
    paragraph: where the store's descriptions are whole paragraphs, the value is the paragraph;
    elsewhere (an author, part of `By Jane`) the span stays as tagged."""
    nodes = [
        node("/html/body/h1", "Buckle"),
        node("/html/body/p[1]/text()[1]", "This easy"),
        node("/html/body/p[1]/a", "strawberry buckle"),
        node("/html/body/p[1]/text()[2]", "is an old-fashioned dessert."),
        node("/html/body/p[2]/text()", "By"),
        node("/html/body/p[2]/a", "Jane"),
    ]
    found = [cand("description", 1, "This easy", 0.9), cand("author", 5, "Jane", 0.9)]
    blocks = {"description", "author"}
    grown = whole_blocks([dataclasses.replace(c) for c in found], nodes, {"description"})
    assert [c.text for c in grown] == [
        "This easy strawberry buckle is an old-fashioned dessert.",
        "Jane",
    ]
    assert (grown[0].node, grown[0].last_node) == (1, 3)
    assert [c.text for c in whole_blocks(found, nodes, ())] == ["This easy", "Jane"]
    # the author's block is `By Jane`: an attribute the store shows as whole blocks reads it
    assert whole_blocks(found, nodes, blocks)[1].text == "By Jane"


def test_a_digit_the_model_left_untagged_inside_an_item_does_not_split_it() -> None:
    """`1/2 teaspoon salt` in a paragraph (no item element), tagged as `1/` and `teaspoon
    salt`: one item; a word left untagged between two runs still parts them."""
    nodes = [node("/html/body/p/text()[1]", "1/2 teaspoon salt"), node("/html/body/h2", "A or B")]
    win = window(
        [0, 1],
        [(0, 0, 1), (0, 1, 2), (0, 2, 3), (0, 4, 12), (0, 13, 17), (1, 0, 1), (1, 2, 4), (1, 5, 6)],
    )
    rows = [(5, 0.9), (6, 0.9), (0, 0.9), (6, 0.9), (6, 0.9), (5, 0.9), (0, 0.9), (5, 0.9)]
    out = decode_page(nodes, [win], [probs([(0, 0.9), *rows, (0, 0.9)])], ATTRS)
    assert out.values["breadcrumb"] == ["1/2 teaspoon salt", "A", "B"]
