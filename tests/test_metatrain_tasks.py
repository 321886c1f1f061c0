"""Tasks from labels files: reading, stores and schemas, splits by store, support/query, cache."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from metatrain.synthetic import write_stores
from metatrain.tasks import (
    LabelsError,
    PageCache,
    annotate,
    group_by_site,
    iterate_samples,
    read_labels,
    sample_support_query,
    split_stores,
)


@pytest.fixture
def labels(tmp_path: Path) -> Path:
    """Ten synthetic stores of five pages (home and books industries)."""
    return write_stores(tmp_path, stores=10, pages=5)


def test_read_and_group(labels: Path) -> None:
    pages = read_labels(labels)
    assert len(pages) == 50
    tasks = group_by_site(pages)
    assert len(tasks) == 10
    books = next(t for t in tasks.values() if t.industry == "books")
    assert "author" in books.attributes and "name" in books.attributes
    home = next(t for t in tasks.values() if t.industry == "home")
    assert "author" not in home.attributes
    assert all(p.page.path.is_file() for p in pages)


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(LabelsError, match="does not exist"):
        read_labels(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(LabelsError, match="invalid JSON"):
        read_labels(bad)
    bad.write_text(json.dumps({"site": "a", "labels": {}}) + "\n", encoding="utf-8")
    with pytest.raises(LabelsError, match="needs site, file"):
        read_labels(bad)
    line = {"site": "a", "file": "pages/a/1.html", "labels": {"name": "x"}}
    bad.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(LabelsError, match="1 page files do not exist: pages/a/1.html"):
        read_labels(bad)


def test_split_by_store_seeded_and_disjoint(labels: Path) -> None:
    tasks = group_by_site(read_labels(labels))
    a = split_stores(tasks, val_fraction=0.2, test_fraction=0.2, seed=3)
    b = split_stores(tasks, val_fraction=0.2, test_fraction=0.2, seed=3)
    names = [{t.site for t in s} for s in (a.train, a.val, a.test)]
    assert names == [{t.site for t in s} for s in (b.train, b.val, b.test)]
    assert not (names[0] & names[1]) and not (names[0] & names[2]) and not (names[1] & names[2])
    assert sum(len(n) for n in names) == 10
    c = split_stores(tasks, val_fraction=0.2, test_fraction=0.2, seed=4)
    assert [t.site for t in c.train] != [t.site for t in a.train]


def test_holdout_industry_and_attributes(labels: Path) -> None:
    tasks = group_by_site(read_labels(labels))
    splits = split_stores(tasks, val_fraction=0.0, test_fraction=0.0, holdout_industries=["books"])
    assert {t.industry for t in splits.test} == {"books"}
    assert {t.industry for t in splits.train} == {"home"}
    splits = split_stores(tasks, val_fraction=0.1, test_fraction=0.2, holdout_attributes=["author"])
    for task in splits.train:
        assert "author" not in task.attributes
        assert all("author" not in p.labels for p in task.pages)
    evaluation = splits.val + splits.test
    assert any("author" in t.attributes for t in evaluation if t.industry == "books") or not [
        t for t in evaluation if t.industry == "books"
    ]
    with pytest.raises(ValueError):
        split_stores(tasks, val_fraction=0.5, test_fraction=0.5)


def test_support_and_query_are_disjoint(labels: Path) -> None:
    task = next(iter(group_by_site(read_labels(labels)).values()))
    sample = sample_support_query(task, 3, None, random.Random(0))
    files = [p.file for p in sample.support] + [p.file for p in sample.query]
    assert len(sample.support) == 3 and len(sample.query) == 2
    assert len(set(files)) == 5
    assert len(sample_support_query(task, 1, 2, random.Random(0)).query) == 2
    with pytest.raises(ValueError, match="needs at least 6"):
        sample_support_query(task, 5, None, random.Random(0))
    stream = iterate_samples([task], 2, 2, seed=1)
    first = [next(stream).support[0].file for _ in range(5)]
    again = iterate_samples([task], 2, 2, seed=1)
    assert first == [next(again).support[0].file for _ in range(5)]


def test_annotate_marks_spans(labels: Path) -> None:
    page = read_labels(labels)[0]
    annotated = annotate(page)
    assert {"name", "price", "sku", "brand"} <= set(annotated.attributes)
    span = annotated.match.spans["name"][0]
    assert span["text"] == page.labels["name"]


def test_page_cache_is_lru(labels: Path) -> None:
    cache = PageCache(maxsize=2)
    paths = [p.page.path for p in read_labels(labels)[:3]]
    first = cache.get(paths[0])
    assert cache.get(paths[0]) is first and cache.hits == 1
    cache.get(paths[1])
    cache.get(paths[2])
    assert cache.get(paths[0]) is not first  # evicted, parsed again
    assert cache.misses == 4
    assert first.nodes and first.root is not None
