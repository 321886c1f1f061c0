"""The page dataset: rows, the append-only writer, recovery after a kill, import from files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import datasets

from extractor.cli import main
from extractor.data.pages import FEATURES, PageDatasetWriter, load_pages, page_row

PRODUCT = """<html lang="fr-FR"><head><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Lampe"}</script></head>
<body><h1>Lampe</h1><span class="price">19,90 €</span>
<button>Ajouter au panier</button></body></html>"""


def test_row_has_nodes_language_and_product_flag() -> None:
    row = page_row("shop", "http://shop/p/1", PRODUCT.encode(), status=200, rendered=True)
    assert row["is_product"] is True
    assert row["lang"] == "fr"
    assert [n["text"] for n in row["nodes"]] == ["Lampe", "19,90 €", "Ajouter au panier"]
    assert FEATURES.encode_example(row)["url"] == "http://shop/p/1"


def test_row_for_a_category_page_is_not_a_product() -> None:
    html = "<html><body><h2>Lamps</h2><a href=/p/1>Lampe</a><a href=/p/2>Chair</a></body></html>"
    assert page_row("shop", "http://shop/lamps", html)["is_product"] is False


def test_empty_page_is_stored_without_nodes(caplog) -> None:
    row = page_row("shop", "http://shop/empty", b"")
    assert row["nodes"] == [] and row["html"] == ""
    assert "stored without text nodes" in caplog.text


def test_writer_shards_dedupes_and_loads(tmp_path: Path) -> None:
    with PageDatasetWriter(tmp_path, shard_size=2) as writer:
        for i in range(5):
            assert writer.add(page_row("shop", f"http://shop/p/{i}", PRODUCT))
        assert not writer.add(page_row("shop", "http://shop/p/0", PRODUCT))
    ds = datasets.load_from_disk(str(tmp_path))
    assert ds.num_rows == 5
    assert ds.features == FEATURES
    assert sorted(ds["url"]) == [f"http://shop/p/{i}" for i in range(5)]


def test_killed_writer_loses_nothing_written(tmp_path: Path) -> None:
    """A process killed with rows still in the journal: reopening recovers them, once each."""
    script = f"""
import os
from extractor.data.pages import PageDatasetWriter, page_row
w = PageDatasetWriter({str(tmp_path)!r}, shard_size=4)
for i in range(7):
    w.add(page_row("shop", f"http://shop/p/{{i}}", "<p>x</p>"))
os._exit(9)  # no close, no flush: like SIGKILL
"""
    subprocess.run([sys.executable, "-c", script], check=False)
    assert load_pages(tmp_path).num_rows == 4  # the shard written before the kill
    with PageDatasetWriter(tmp_path) as writer:
        assert len(writer) == 7
        assert not writer.add(page_row("shop", "http://shop/p/6", "<p>x</p>"))
        assert writer.add(page_row("shop", "http://shop/p/7", "<p>x</p>"))
    assert sorted(load_pages(tmp_path)["url"]) == sorted(f"http://shop/p/{i}" for i in range(8))


def test_load_pages_error_names_the_problem(tmp_path: Path) -> None:
    try:
        load_pages(tmp_path)
    except FileNotFoundError as exc:
        assert "not a page dataset" in str(exc)
    else:
        raise AssertionError("expected FileNotFoundError")


def test_import_pages_from_labels_file(tmp_path: Path, realpages: Path, capsys) -> None:
    labels = tmp_path / "labels.jsonl"
    entries = [json.loads(line) for line in (realpages / "labels.jsonl").open()]
    chosen = [e for e in entries if e["site"] == "hm.com"]
    (tmp_path / "pages").symlink_to(realpages / "pages")
    labels.write_text("".join(json.dumps(e) + "\n" for e in chosen))
    assert main(["import-pages", str(labels), "--data-dir", str(tmp_path / "data")]) == 0
    ds = load_pages(tmp_path / "data" / "hm.com" / "pages")
    assert ds.num_rows == len(chosen)
    assert all(len(nodes) > 20 for nodes in ds["nodes"])
    assert "hm.com:" in capsys.readouterr().out


def test_import_pages_missing_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"site": "s", "file": "pages/s/1.html", "url": None}) + "\n")
    assert main(["import-pages", str(labels), "--data-dir", str(tmp_path / "data")]) == 2
    assert "pages/s/1.html is missing" in capsys.readouterr().err
