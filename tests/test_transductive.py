"""The transductive step of adaptation: the store's surely read pages join the support."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tiny_encoder import TINY

from extractor.adapt.settings import AdaptSettings
from extractor.adapt.store import StoreAdapter
from extractor.adapt.transductive import SelfTraining, candidate_pages, sure_values
from extractor.neural.config import ExtractorConfig
from extractor.neural.model import ExtractorModel
from extractor.page.input import PageInput
from metatrain.methods import ModelMethod
from metatrain.synthetic import write_stores
from metatrain.tasks import annotate, group_by_site, read_labels

pytestmark = pytest.mark.usefixtures("one_thread")

SURE = SelfTraining(fill_to=5, min_confidence=0.9)


def test_a_value_counts_when_the_pipeline_is_sure_or_the_stores_rules_read_it_alike() -> None:
    values = {"name": "Oak Table", "price": "19.90", "sku": "A-1", "brand": "Acme"}
    confidence = {"name": 0.95, "price": 0.4, "sku": 0.4, "brand": 0.99}
    rules = {"price": "19,90", "sku": "B-2"}
    kept = sure_values(values, confidence, rules, ["name", "price", "sku", "author"], SURE, None)
    # name: sure; price: unsure, but the rules read the same amount; sku: unsure and the rules
    # read another; brand: not an attribute of the support
    assert kept == {"name": "Oak Table", "price": "19.90"}


def test_candidates_are_the_stores_unannotated_pages_spread_over_the_crawl() -> None:
    node = {"xpath": "/html/body/p", "text": "x", "tag": "p"}
    store = [PageInput(f"https://s.test/{i}", [node]) for i in range(10)]
    store.append(PageInput("https://s.test/empty", []))
    chosen = candidate_pages(store, {"https://s.test/0"}, limit=3)
    assert [p.url for p in chosen] == ["https://s.test/1", "https://s.test/4", "https://s.test/7"]
    assert len(candidate_pages(store, set(), limit=50)) == 10  # the empty page is left out
    assert SelfTraining(fill_to=5).wanted(1) == 4 and SelfTraining(fill_to=5).wanted(6) == 0


def _adapter(training: SelfTraining) -> StoreAdapter:
    torch.manual_seed(0)
    config = ExtractorConfig(
        encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16, relation_hidden=8
    )
    return StoreAdapter(ExtractorModel(config), AdaptSettings(steps=2, self_training=training))


def test_self_training_adapts_again_with_the_stores_pages_it_reads_surely(tmp_path: Path) -> None:
    tasks = group_by_site(read_labels(write_stores(tmp_path / "data", stores=1, pages=6)))
    task = next(iter(tasks.values()))
    support = [annotate(task.pages[0])]
    store = [p.page for p in task.pages]

    alone = ModelMethod("meta", _adapter(SelfTraining())).adapt(support, store).adapted
    assert alone.support is not None and alone.support.support_pages == 1

    # the tiny model is unsure of everything: the pages join through the rules' agreement
    trained = ModelMethod("meta", _adapter(SelfTraining(fill_to=3))).adapt(support, store).adapted
    assert trained.support is not None and trained.support.support_pages == 3
    wrapper = trained.support.wrapper
    assert wrapper is not None and "name" in wrapper.rules
    # the annotated page is never pseudo-annotated; the support's attributes stay its own
    annotated = trained.context[0]
    assert all(nodes != annotated for nodes in trained.context[1:])
    assert trained.attributes[: len(alone.attributes)] == alone.attributes

    # no rules (no examples): nothing to agree with, nothing sure, one adaptation
    never = _adapter(SelfTraining(fill_to=3, min_confidence=2.0))
    nodes = [support[0].page.parsed().nodes]
    spans = [dict(support[0].match.spans)]
    pages = [PageInput(p.url or "", p.parsed().nodes) for p in store]
    adapted = never.adapt(nodes, spans, pages)
    assert adapted.support is not None and adapted.support.support_pages == 1


def test_a_pseudo_annotated_page_speaks_only_for_the_values_it_marks() -> None:
    from test_support import SUPPORT, SUPPORT_SPANS, page, spans

    from extractor.adapt.support import SupportIndex, node_contexts
    from extractor.neural.features import RELATION_FEATURES

    read = page("Beech Chair", "BC-3", "89,00")
    sure = spans(read, {"price": "89,00"})  # the sku was not read surely: not marked
    query = page("Oak Desk", "OD-7", "129,00")
    built = SupportIndex.build([SUPPORT, read], [SUPPORT_SPANS, sure], pseudo=1)
    assert built.attribute_pages == {"name": 1, "sku": 1, "price": 2}
    again = SupportIndex.from_dict(json.loads(json.dumps(built.to_dict())))
    for index in (built, again):
        for attribute, text in (("sku", "OD-7"), ("price", "129,00")):
            node = next(n for n in query if text in n["text"])
            found = index.node_relations(node, node_contexts(query)[node["xpath"]], attribute)
            assert found is not None
            # where every page that speaks for the attribute shows it: full agreement
            assert dict(zip(RELATION_FEATURES, found, strict=True))["agreement"] == 1.0
    annotated = SupportIndex.build([SUPPORT, read], [SUPPORT_SPANS, sure])
    assert annotated.attribute_pages == {}  # an annotated page without the sku: it is not there
