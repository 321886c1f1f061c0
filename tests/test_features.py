"""Features: windows of whole nodes, offsets back into node text, BIO labels, pruning."""

from __future__ import annotations

import pytest

from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import PACKAGED_ENCODER
from extractor.neural.features import (
    FeatureConfig,
    attribute_classes,
    collate,
    encode_page,
    hint_ids,
    hint_words,
    labelled_windows,
    tokenize_nodes,
    xpath_features,
)
from extractor.page.dom import Node
from extractor.page.template import is_boilerplate, prune_template_nodes


def node(xpath: str, text: str, tag: str = "span", cls: str = "", itemprop: str = "") -> Node:
    """A text node with hints."""
    attrs = {"class": cls, "id": "", "itemprop": itemprop, "aria-label": ""}
    return Node(xpath=xpath, text=text, tag=tag, attrs=attrs)  # type: ignore[typeddict-item]


@pytest.fixture(scope="module")
def tokenizer():  # noqa: ANN201
    """The packaged MiniLM tokenizer (small, no model weights)."""
    return load_tokenizer(PACKAGED_ENCODER)


def page(n: int = 40) -> list[Node]:
    """A page of n varied nodes."""
    return [
        node(f"/html/body/div[{i + 1}]/p", f"Paragraph {i} with a few words of text number {i}")
        for i in range(n)
    ]


def test_windows_cover_every_node_once_and_offsets_map_back(tokenizer) -> None:  # noqa: ANN001
    nodes = page()
    config = FeatureConfig(window=32, max_node_tokens=12)
    windows = encode_page(nodes, tokenizer, config)
    assert len(windows) > 1
    covered = [i for w in windows for i in w.node_ids]
    assert covered == list(range(len(nodes)))
    for w in windows:
        assert len(w.input_ids) <= config.window
        assert (
            w.input_ids[0] == tokenizer.cls_token_id and w.input_ids[-1] == tokenizer.sep_token_id
        )
        for token_id, n, s, e in zip(
            w.input_ids, w.token_node, w.token_start, w.token_end, strict=True
        ):
            if n < 0:
                continue
            piece = tokenizer.convert_ids_to_tokens(token_id).removeprefix("##")
            assert nodes[n]["text"][s:e].lower() == piece
        assert {n for n in w.token_node if n >= 0} <= set(w.node_ids)


def test_bio_labels_for_a_span_inside_a_node_and_a_whole_node(tokenizer) -> None:  # noqa: ANN001
    nodes = [
        node("/html/body/h1", "Super Widget 3000", "h1"),
        node("/html/body/div/span", "Price: EUR 12.99 incl. VAT"),
    ]
    spans = {
        "name": [{"xpath": "/html/body/h1", "start": 0, "end": 17, "text": "Super Widget 3000"}],
        "price": [{"xpath": "/html/body/div/span", "start": 11, "end": 16, "text": "12.99"}],
        "unknown": [{"xpath": "/html/body/h1", "start": 0, "end": 5, "text": "Super"}],
    }
    attributes = ["name", "price"]
    (w,) = encode_page(nodes, tokenizer, FeatureConfig(), spans, attributes)
    classes = attribute_classes(attributes)
    tagged = [
        (nodes[n]["text"][s:e], classes[label])
        for n, s, e, label in zip(
            w.token_node, w.token_start, w.token_end, w.labels or [], strict=True
        )
        if label > 0
    ]
    assert tagged == [
        ("Super", "B-name"), ("Wi", "I-name"), ("dget", "I-name"), ("3000", "I-name"),
        ("12", "B-price"), (".", "I-price"), ("99", "I-price"),
    ]  # fmt: skip
    assert w.labels is not None and w.labels[0] == w.labels[-1] == -100
    assert sum(1 for label in w.labels if label == 0) == len(w.labels) - 2 - len(tagged)


def test_long_node_is_capped_and_batch_pads(tokenizer) -> None:  # noqa: ANN001
    nodes = [node("/html/body/p", "word " * 500), node("/html/body/b", "short", "b")]
    config = FeatureConfig(window=64, max_node_tokens=20)
    windows = encode_page(nodes, tokenizer, config, spans={}, attributes=["name"])
    assert sum(1 for w in windows for n in w.token_node if n == 0) == 20
    batch = collate(windows)
    assert batch["input_ids"].shape[1] == max(len(w.input_ids) for w in windows)
    assert batch["xpath_tags"].shape[2] == config.max_depth
    assert batch["hints"].shape[2] == config.hints_per_node
    assert set(batch["labels"].flatten().tolist()) <= {-100, 0}


def test_empty_page_gives_one_window(tokenizer) -> None:  # noqa: ANN001
    (w,) = encode_page([], tokenizer, FeatureConfig())
    assert w.node_ids == [] and len(w.input_ids) == 2


def test_xpath_features_keep_the_deepest_levels() -> None:
    tags, subs = xpath_features("/html/body/div[2]/ul/li[7]/span/text()[2]", 4)
    assert len(tags) == 4 and subs == [0, 7, 0, 2]
    short_tags, short_subs = xpath_features("/html/body", 4)
    assert short_tags[2:] == [0, 0] and short_subs == [0, 0, 0, 0]


def test_hints_split_camel_case_and_hash_stably() -> None:
    attrs = {"class": "productPrice price--big", "id": "", "itemprop": "price", "aria-label": ""}
    assert hint_words(attrs) == ["p:price", "c:product", "c:price", "c:big"]
    ids = hint_ids(attrs, 2048, 8)
    assert ids == hint_ids(attrs, 2048, 8) and len(ids) == 8 and ids[4:] == [0] * 4
    assert all(0 < i < 2048 for i in ids[:4])


def test_pruning_drops_template_runs_and_chrome_but_keeps_values_and_spans() -> None:
    pages = []
    for p in range(4):
        nodes = [node(f"/html/body/div[1]/a[{i}]", f"Menu {i}", "a") for i in range(1, 6)]
        nodes += [
            node("/html/body/header/span", "Free shipping over 50"),
            node("/html/body/main/h1", f"Product {p}", "h1"),
            node("/html/body/main/span[1]", "In stock"),  # recurs, but alone: a value
            node("/html/body/main/span[2]", f"{10 + p}.99"),
            node("/html/body/main/nav/a", "Home", "a"),  # breadcrumb inside main stays
            node("/html/body/div[9]/p", "We use cookies to improve your experience."),
        ]
        pages.append(nodes)
    kept = prune_template_nodes(pages)
    texts = [n["text"] for n in kept[0]]
    assert texts == ["Product 0", "In stock", "10.99", "Home"]
    protect = [{"/html/body/div[1]/a[2]"}] + [set()] * 3
    assert "Menu 2" in [n["text"] for n in prune_template_nodes(pages, protect)[0]]
    # One page alone: no template detection, single-page rules only.
    single = [n["text"] for n in prune_template_nodes(pages[:1])[0]]
    assert "Menu 1" in single and "Free shipping over 50" not in single


def test_pruning_keeps_a_name_that_other_pages_show_in_a_carousel() -> None:
    """A small store's carousels show every product on every page: its own name is not template."""
    names = [f"Norora Studio Jacket {p}" for p in range(4)]
    pages = []
    for p in range(4):
        nodes = [
            node("/html/body/main/nav/a[1]", "Shop", "a"),
            node("/html/body/main/nav/a[2]", "Fashion", "a"),
            node("/html/body/main/section/h1", names[p], "h1"),
            node("/html/body/main/section/span[1]", f"GBP {10 + p}.99"),
            node("/html/body/main/section/span[2]", "incl. tax"),
            node("/html/body/main/section/p", "Free shipping"),
        ]
        others = [q for q in range(4) if q != p]
        for c, q in enumerate(others, start=1):
            nodes.append(node(f"/html/body/main/aside/div[{c}]/a", names[q], "a"))
            nodes.append(node(f"/html/body/main/aside/div[{c}]/span", f"GBP {10 + q}.99"))
        nodes.append(node("/html/body/main/article/p", f"Review {p}: fits well."))
        pages.append(nodes)
    kept = [n["text"] for n in prune_template_nodes(pages)[0]]
    assert names[0] in kept and "GBP 10.99" in kept


def test_availability_and_currency_stay_inside_a_template_run() -> None:
    """Every product of a store "Sofort verfügbar" in a block of fixed text: the value stays."""
    fixed = ["inkl. 20% USt.", "Versandkostenfreie Lieferung", "Sofort verfügbar", "Lieferzeit:"]
    fixed += ["2 - 4 Werktage", "€", "Frage zum Artikel", "Merkzettel"]
    pages = []
    for p in range(4):
        nodes = [node("/html/body/main/h1", f"Product {p}", "h1")]
        nodes += [node(f"/html/body/main/div/span[{i}]", t) for i, t in enumerate(fixed, 1)]
        nodes.append(node("/html/body/main/p", f"Description of product {p}.", "p"))
        pages.append(nodes)
    kept = [n["text"] for n in prune_template_nodes(pages)[0]]
    assert kept == ["Product 0", "Sofort verfügbar", "€", "Description of product 0."]


def test_feature_config_is_validated() -> None:
    with pytest.raises(ValueError):
        FeatureConfig(window=4)
    with pytest.raises(ValueError):
        FeatureConfig(window=32, max_node_tokens=31)


def test_page_token_budget_keeps_the_nodes_around_the_title(tokenizer) -> None:  # noqa: ANN001
    nodes = page(30)
    nodes[10] = node("/html/body/main/h1", "The Product", "h1")
    config = FeatureConfig(window=64, max_node_tokens=16, page_budget="title")
    windows = encode_page(nodes, tokenizer, config, page_tokens=60)
    covered = [i for w in windows for i in w.node_ids]
    assert 10 in covered and covered == sorted(covered)
    assert covered == list(range(covered[0], covered[-1] + 1))  # one contiguous run
    assert covered[0] < 10 < covered[-1] and covered[-1] - 10 > 10 - covered[0]
    assert sum(len(w.input_ids) - 2 for w in windows) <= 60


def test_text_inside_an_h1_anchors_the_budget(tokenizer) -> None:  # noqa: ANN001
    nodes = page(80)
    nodes[60] = node("/html/body/main/h1/span", "The Product", "span")
    config = FeatureConfig(window=64, max_node_tokens=16)
    covered = {i for w in encode_page(nodes, tokenizer, config, page_tokens=40) for i in w.node_ids}
    assert 60 in covered and {59, 61} <= covered


def test_priors_budget_keeps_far_values_in_document_order_and_cuts_long_nodes(tokenizer) -> None:  # noqa: ANN001
    nodes = page(60)
    nodes[10] = node("/html/body/main/h1", "The Product", "h1")
    nodes[50] = node("/html/body/div[51]/span", "129,00 €")  # a sticky buy bar, far away
    nodes[55] = node("/html/body/div[56]/span", "Marke:")
    nodes[56] = node("/html/body/div[57]/span", "Acme")
    nodes[58] = node("/html/body/div[59]/b", "x", cls="product-sku")
    nodes[11] = node("/html/body/main/p", "Long description " * 40, "p")
    config = FeatureConfig(window=64, max_node_tokens=48, budget_node_tokens=12)
    windows = encode_page(nodes, tokenizer, config, page_tokens=80)
    covered = [i for w in windows for i in w.node_ids]
    assert covered == sorted(covered) and {10, 11, 50, 55, 56, 58} <= set(covered)
    assert sum(len(w.input_ids) - 2 for w in windows) <= 80
    assert sum(1 for w in windows for t in w.token_node if t == 11) == 12  # cut to its start


def test_cookie_notices_in_several_phrasings_are_boilerplate() -> None:
    notices = [
        "Diese Webseite verwendet Cookies und andere Technologien",
        "This site uses cookies and similar technologies to work properly.",
        "Cookie-Einstellungen",
        "Wir nutzen diese Cookie-Typen nicht.",
    ]
    for text in notices:
        assert is_boilerplate(node("/html/body/div[3]/p", text, "p")), text
    for text in ("Cookie cutter set, 12 pieces", "Ausstechformen für Cookies, Edelstahl"):
        assert not is_boilerplate(node("/html/body/main/h2", text, "h2")), text


def test_a_value_over_several_nodes_continues_with_i_and_list_items_open_with_b(
    tokenizer,  # noqa: ANN001
) -> None:
    nodes = [
        node("/html/body/div/p[1]", "First paragraph."),
        node("/html/body/div/p[2]", "Second one."),
        node("/html/body/ul/li[1]/span[1]", "2"),
        node("/html/body/ul/li[1]/span[2]", "eggs"),
        node("/html/body/ul/li[2]", "salt"),
    ]

    def span(i: int, **extra: int) -> dict[str, object]:
        text = nodes[i]["text"]
        return {"xpath": nodes[i]["xpath"], "start": 0, "end": len(text), "text": text, **extra}

    spans = {
        "description": [span(0), span(1)],
        "ingredients": [span(2, item=0), span(3, item=0), span(4, item=1)],
    }
    attributes = ["description", "ingredients"]
    (w,) = encode_page(nodes, tokenizer, FeatureConfig(), spans, attributes)
    classes = attribute_classes(attributes)
    first = {}
    for n, label in zip(w.token_node, w.labels or [], strict=True):
        if n >= 0 and n not in first:
            first[n] = classes[label]
    assert first == {
        0: "B-description", 1: "I-description",
        2: "B-ingredients", 3: "I-ingredients", 4: "B-ingredients",
    }  # fmt: skip


def test_a_value_that_opens_on_a_node_owns_it_over_a_continuing_one() -> None:
    from extractor.neural.features import marked_spans

    spans = {
        "description": [
            {"xpath": "/p[1]", "start": 0, "end": 9, "text": "Great lamp"},
            {"xpath": "/ul/li[1]", "start": 0, "end": 6, "text": "WL-100"},
            {"xpath": "/ul/li[2]", "start": 0, "end": 5, "text": "Walnut"},
        ],
        "mpn": [{"xpath": "/ul/li[1]", "start": 0, "end": 6, "text": "WL-100"}],
    }
    kept = [(a, s["xpath"], opens) for a, s, opens in marked_spans(spans)]
    assert kept == [
        ("description", "/p[1]", True),
        ("description", "/ul/li[2]", False),
        ("mpn", "/ul/li[1]", True),
    ]


def test_node_tokens_are_each_texts_first_tokens_unpadded(tokenizer) -> None:  # noqa: ANN001
    """All texts at once give each text's own tokens and offsets, cut at `max_tokens`, never
    padded (the packaged tokenizer.json pads to 128 when asked nothing)."""
    texts = ["Preis: 12,99 € inkl. MwSt.", "", "word " * 80, "Ölfilter für Motoren"]
    found = tokenize_nodes(texts, tokenizer, 48)
    backend = tokenizer.backend_tokenizer
    alone = [backend.encode(text, add_special_tokens=False) for text in texts]
    assert found["input_ids"] == [e.ids[:48] for e in alone]
    assert found["offset_mapping"] == [e.offsets[:48] for e in alone]
    assert [len(ids) for ids in found["input_ids"]] == [len(alone[0].ids), 0, 48, len(alone[3].ids)]
    assert 0 < len(alone[0].ids) < 48


def test_training_reads_the_windows_of_every_attribute_a_page_shows(tokenizer) -> None:  # noqa: ANN001
    """A long page: its name and ingredients fill the first windows, its steps come last. The
    first `limit` labelled windows are read, and then one that shows the steps, none more."""
    nodes = [node("/html/body/h1", "Lemon Cake", "h1")]
    nodes += [node(f"/html/body/ul/li[{i}]", f"{i} cups of flour number {i}") for i in range(1, 60)]
    nodes += [node(f"/html/body/ol/li[{i}]", f"Stir the batter well {i}") for i in range(1, 30)]

    def whole(n: Node) -> dict:
        return {"xpath": n["xpath"], "start": 0, "end": len(n["text"]), "text": n["text"]}

    spans = {
        "name": [whole(nodes[0])],
        "ingredients": [{**whole(n), "item": i} for i, n in enumerate(nodes[1:60])],
        "instructions": [{**whole(n), "item": i} for i, n in enumerate(nodes[60:])],
    }
    attributes = ["name", "ingredients", "instructions"]
    windows = encode_page(nodes, tokenizer, FeatureConfig(window=64), spans, attributes)

    def shown(w: object) -> set[str]:
        return {attributes[(y - 1) // 2] for y in w.labels or [] if y > 0}  # type: ignore[attr-defined]

    assert "instructions" not in set().union(*map(shown, windows[:2]))
    chosen = labelled_windows(windows, 2)
    assert chosen[:2] == windows[:2] and len(chosen) == 3
    assert set().union(*map(shown, chosen)) == set(attributes)
    assert labelled_windows(windows, len(windows)) == windows
