"""extractor.adapt.support: where query tokens stand relative to a store's support values,
the relation head that reads them, and the page budget that follows the support."""

from __future__ import annotations

import json

import torch

from extractor.adapt.support import SupportIndex, node_contexts
from extractor.neural.budget import budget_nodes
from extractor.neural.config import ExtractorConfig
from extractor.neural.features import N_RELATIONS, RELATION_FEATURES
from extractor.neural.model import ExtractorModel
from extractor.page.dom import Node, text_nodes

F = {name: i for i, name in enumerate(RELATION_FEATURES)}


def page(name: str, sku: str, price: str, extra: str = "") -> list[Node]:
    """A product page of one store's template (optionally with a block that shifts the layout)."""
    return text_nodes(
        f"""<html><body><nav><a href="/">Home</a></nav>{extra}<h1>{name}</h1>
        <table><tr><td>Art.-Nr.:</td><td class="sku">{sku}</td></tr></table>
        <p class="price">Preis: {price} €</p><footer>Impressum</footer></body></html>"""
    )


def spans(nodes: list[Node], values: dict[str, str]) -> dict[str, list[dict[str, object]]]:
    """Spans of exact values on the nodes (the matcher's job, done by hand here)."""
    out: dict[str, list[dict[str, object]]] = {}
    for attribute, value in values.items():
        node = next(n for n in nodes if value in n["text"])
        start = node["text"].index(value)
        out[attribute] = [
            {"xpath": node["xpath"], "start": start, "end": start + len(value), "text": value}
        ]
    return out


SUPPORT = page("Walnut Lamp", "WL-100", "49,00")
SUPPORT_SPANS = spans(SUPPORT, {"name": "Walnut Lamp", "sku": "WL-100", "price": "49,00"})
QUERY = page("Oak Desk", "OD-7", "129,00", extra="<div><p>Sale!</p></div>")


def index() -> SupportIndex:
    return SupportIndex.build([SUPPORT], [SUPPORT_SPANS], store_pages=[QUERY])


def row(nodes: list[Node], text: str, attribute: str) -> dict[str, float]:
    node = next(n for n in nodes if text in n["text"])
    values = index().node_relations(node, node_contexts(nodes)[node["xpath"]], attribute)
    assert values is not None
    return dict(zip(RELATION_FEATURES, values, strict=True))


def test_a_value_in_the_same_place_relates_to_the_support() -> None:
    sku = row(QUERY, "OD-7", "sku")
    assert sku["has_support"] == 1 and sku["xpath"] == 1 and sku["shape"] == 1
    assert sku["classes"] == 1 and sku["label"] == 1 and sku["agreement"] == 1
    assert sku["template"] == 0 and sku["slot"] > 0  # its text varies across the store's pages
    other = row(QUERY, "Impressum", "sku")
    assert other["xpath"] == 0 and other["label"] == 0 and other["template"] > 0
    name = row(QUERY, "Oak Desk", "name")
    assert name["shape"] == 1 and name["title_offset"] == 1.0  # the title moved, its place did not
    assert index().node_relations(QUERY[0], None, "brand") is None  # no support: no relations


def test_token_relations_mark_where_the_value_starts_inside_its_node() -> None:
    nodes = QUERY
    i = next(k for k, n in enumerate(nodes) if "Preis" in n["text"])
    text = nodes[i]["text"]
    starts = [0, text.index("129"), text.index("€")]
    rel = index().relations(
        nodes, node_contexts(nodes), [-1, i, i, i], [0, *starts], ["price", "brand"]
    )
    assert rel.shape == (4, 2, N_RELATIONS)
    assert rel[0].abs().sum() == 0 and rel[:, 1].abs().sum() == 0  # [CLS], an unsupported attribute
    assert rel[1, 0, F["first_token"]] == 1 and rel[1, 0, F["value_start"]] == 0
    assert rel[2, 0, F["value_start"]] == 1 and rel[2, 0, F["value_inside"]] == 1  # after "Preis:"
    assert rel[3, 0, F["value_start"]] == 0 and rel[3, 0, F["value_inside"]] == 1


def test_the_index_survives_its_json_file() -> None:
    built = index()
    loaded = SupportIndex.from_dict(json.loads(json.dumps(built.to_dict())))
    args = (QUERY, node_contexts(QUERY), list(range(len(QUERY))), [0] * len(QUERY))
    torch.testing.assert_close(
        loaded.relations(*args, ["name", "sku", "price"]),
        built.relations(*args, ["name", "sku", "price"]),
    )


def test_the_budget_reads_the_nodes_where_support_values_stand_first() -> None:
    nodes = QUERY
    keep = index().support_like(nodes)
    sku = next(k for k, n in enumerate(nodes) if n["text"] == "OD-7")
    assert sku in keep
    counts = [50] * len(nodes)
    kept = budget_nodes(nodes, counts, 110, keep=keep)
    assert set(keep[:2]) <= set(kept) and len(kept) == 4  # the budget grew by what they took
    assert budget_nodes(nodes, counts, 110) == budget_nodes(nodes, counts, 110, keep=())


def test_the_relation_head_starts_silent_and_only_speaks_for_supported_attributes() -> None:
    from tiny_encoder import TINY

    torch.manual_seed(0)
    config = ExtractorConfig(
        encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16, relation_hidden=8
    )
    model = ExtractorModel(config).eval()
    hidden = torch.randn(1, 5, int(model.encoder.config.hidden_size))
    attributes = ["name", "price"]
    relations = torch.rand(1, 5, 2, N_RELATIONS)
    relations[..., 1, 0] = 0  # price has no support
    plain = model.head(hidden, attributes)
    torch.testing.assert_close(model.head(hidden, attributes, relations=relations), plain)
    torch.nn.init.normal_(model.head.relate.out.weight)  # type: ignore[union-attr]
    with_relations = model.head(hidden, attributes, relations=relations)
    changed = (with_relations - plain).abs().sum((0, 1))
    assert changed[1:3].gt(0).all() and changed[[0, 3, 4]].eq(0).all()  # B/I-name only


def test_the_store_wrapper_rules_are_relations_too() -> None:
    import lxml.html

    from extractor.adapt.wrapper import Example, WrapperPage
    from extractor.values.matching import MatchResult

    html = """<html><body><nav><a href="/">Home</a></nav><h1>{name}</h1>
        <table><tr><td>Art.-Nr.:</td><td class="sku">{sku}</td></tr></table>
        <p class="price">Preis: {price} €</p><footer>Impressum</footer></body></html>"""
    support_html = html.format(name="Walnut Lamp", sku="WL-100", price="49,00")
    query_html = html.format(name="Oak Desk", sku="OD-7", price="129,00")
    example = Example(
        WrapperPage(SUPPORT, lxml.html.fromstring(support_html), "https://shop.example/a"),
        {"name": "Walnut Lamp", "sku": "WL-100", "price": "49.00"},
        MatchResult(spans=SUPPORT_SPANS),  # type: ignore[arg-type]
    )
    query = text_nodes(query_html)
    built = SupportIndex.build([SUPPORT], [SUPPORT_SPANS], [query], examples=[example])
    assert built.wrapper is not None
    rules = built.rule_values(
        WrapperPage(query, lxml.html.fromstring(query_html), "https://shop.example/b")
    )
    assert rules["sku"] == "OD-7" and rules["name"] == "Oak Desk"
    i = next(k for k, n in enumerate(query) if n["text"] == "OD-7")
    rel = built.relations(query, node_contexts(query), [i, i], [0, 2], ["sku"], rules, [2, 4])
    assert rel[:, 0, F["rule_node"]].tolist() == [1.0, 1.0]
    assert rel[:, 0, F["rule_token"]].tolist() == [1.0, 1.0]
    other = next(k for k, n in enumerate(query) if n["text"] == "Impressum")
    rel = built.relations(query, node_contexts(query), [other], [0], ["sku"], rules, [9])
    assert rel[0, 0, F["rule_node"]] == 0
    loaded = SupportIndex.from_dict(json.loads(json.dumps(built.to_dict())))
    assert loaded.wrapper is not None and loaded.wrapper.rules.keys() == built.wrapper.rules.keys()
    assert loaded.wrapper.items == built.wrapper.items
    assert loaded.wrapper.writing == built.wrapper.writing


def test_the_store_pages_tell_template_from_data() -> None:
    third = page("Pine Shelf", "PS-3", "79,00")
    built = SupportIndex.build([SUPPORT], [SUPPORT_SPANS], store_pages=[QUERY, third])
    footer = next(n for n in third if n["text"] == "Impressum")
    sku = next(n for n in third if n["text"] == "PS-3")
    template, slot = built.profile.behaviour(footer)
    assert template == 1.0 and slot == 0.0  # the same text in the same place on every page
    template, slot = built.profile.behaviour(sku)
    assert template == 0.0 and slot == 2 / 3  # the place holds other texts on the other pages


def test_the_store_s_whole_block_attributes_are_kept_with_its_support() -> None:
    """A description that fills its paragraph is a whole-block attribute of the store, kept
    in support.json; the name (no prose) and the price are not."""
    nodes = text_nodes(
        "<html><body><h1>Walnut Lamp</h1><p class='price'>49,00 €</p><div><p>A warm lamp of"
        " oiled walnut with a linen shade.</p></div></body></html>"
    )
    marked = spans(
        nodes,
        {
            "name": "Walnut Lamp",
            "price": "49,00",
            "description": "A warm lamp of oiled walnut with a linen shade.",
        },
    )
    built = SupportIndex.build([nodes], [marked])
    assert built.blocks == {"description"}
    assert SupportIndex.from_dict(json.loads(json.dumps(built.to_dict()))).blocks == built.blocks


def test_the_gate_holds_the_text_attributes_the_support_shows_even_without_a_rule() -> None:
    import lxml.html

    from extractor.adapt.wrapper import Example, WrapperPage
    from extractor.values.matching import MatchResult

    html = """<html><body><h1>{name}</h1>
        <table><tr><td>Art.-Nr.:</td><td class="sku">{sku}</td></tr></table>
        <p class="price">Preis: {price} €</p></body></html>"""
    example = Example(
        WrapperPage(
            SUPPORT,
            lxml.html.fromstring(html.format(name="Walnut Lamp", sku="WL-100", price="49,00")),
            "https://shop.example/a",
        ),
        {"name": "Walnut Lamp", "sku": "WL-100", "price": "49.00"},
        MatchResult(spans=SUPPORT_SPANS),  # type: ignore[arg-type]
    )
    built = SupportIndex.build([SUPPORT], [SUPPORT_SPANS], examples=[example])
    assert built.wrapper is not None and built.gated == frozenset(built.wrapper.rules)
    # A description the wrapper found no rule for (it stands in pieces) is held to the gate; a
    # list is not: the model reads a list whose template moved item by item.
    built.kinds.update({"description": "text", "ingredients": "list"})
    assert built.gated == frozenset({*built.wrapper.rules, "description"})
    assert SupportIndex(kinds={"description": "text", "price": "price"}).gated == {"description"}
