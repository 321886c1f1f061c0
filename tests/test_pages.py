"""The page dataset: rows, the append-only writer, recovery after a kill, import from files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import datasets
import pyarrow as pa
import pytest

from extractor.cli import main
from extractor.data.pages import FEATURES, PageDatasetWriter, load_pages, page_row, raw_html

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


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two crawls into one store (issue 14, problem 1): interleaved writers with small shards,
    each with its own journal; every page of both is stored once."""
    first = PageDatasetWriter(tmp_path, shard_size=3)
    second = PageDatasetWriter(tmp_path, shard_size=3)
    for i in range(10):
        assert first.add(page_row("mixed", f"http://a/p/{i}", PRODUCT))
        assert second.add(page_row("mixed", f"http://b/p/{i}", PRODUCT))
    assert not second.add(page_row("mixed", "http://a/p/0", PRODUCT))  # in a shard of first's
    assert second.add(page_row("mixed", "http://a/p/9", PRODUCT))  # still in first's buffer
    first.close()
    assert second.add(page_row("mixed", "http://b/p/10", PRODUCT))
    second.close()
    urls = load_pages(tmp_path)["url"]
    assert len(urls) == 21 and len(set(urls)) == 21
    assert not list(tmp_path.glob("journal*"))


def test_writers_in_two_processes_lose_nothing(tmp_path: Path) -> None:
    script = """
import sys
from extractor.data.pages import PageDatasetWriter, page_row
with PageDatasetWriter(sys.argv[1], shard_size=2) as w:
    for i in range(40):
        w.add(page_row("mixed", f"http://{sys.argv[2]}/p/{i}", "<p>x</p>"))
"""
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), host])
        for host in ("a", "b", "c")
    ]
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0]
    urls = load_pages(tmp_path)["url"]
    assert len(urls) == 120 and len(set(urls)) == 120


def test_a_live_writer_keeps_its_journal(tmp_path: Path) -> None:
    """A writer that opens while another runs does not take the other's journal for a dead
    writer's: when the running one is killed later, its journal still holds its pages."""
    script = f"""
import os, sys
from extractor.data.pages import PageDatasetWriter, page_row
w = PageDatasetWriter({str(tmp_path)!r}, shard_size=100)
w.add(page_row("shop", "http://shop/p/1", "<p>x</p>"))
print("ready", flush=True)
sys.stdin.readline()
w.add(page_row("shop", "http://shop/p/2", "<p>x</p>"))
os._exit(9)  # killed with both pages in its journal
"""
    live = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert live.stdout is not None and live.stdin is not None
    assert live.stdout.readline().strip() == "ready"
    PageDatasetWriter(tmp_path).close()  # opens and closes while the other one runs
    live.stdin.write("go\n")
    live.stdin.flush()
    live.wait(timeout=60)
    PageDatasetWriter(tmp_path).close()  # recovers the dead writer's journal
    assert sorted(load_pages(tmp_path)["url"]) == ["http://shop/p/1", "http://shop/p/2"]


def test_a_rendered_page_replaces_the_unrendered_one(tmp_path: Path) -> None:
    """A crawl whose browser failed stored the shell unrendered (issue 14, problem 2): the next
    crawl's rendered page replaces it; an unrendered one never replaces anything."""
    shell = '<html><body><div id="app"></div><script src="/app.js"></script></body></html>'
    with PageDatasetWriter(tmp_path, shard_size=2) as writer:
        for i in range(3):
            writer.add(page_row("shop", f"http://shop/p/{i}", shell))
    with PageDatasetWriter(tmp_path, shard_size=2) as writer:
        assert not writer.wants("http://shop/p/1") and writer.wants("http://shop/p/1", True)
        assert not writer.add(page_row("shop", "http://shop/p/1", shell))
        assert writer.add(page_row("shop", "http://shop/p/1", PRODUCT, rendered=True))
        assert not writer.add(page_row("shop", "http://shop/p/1", PRODUCT, rendered=True))
    with PageDatasetWriter(tmp_path) as writer:
        assert not writer.wants("http://shop/p/1", True) and writer.wants("http://shop/p/2", True)
    pages = {row["url"]: row for row in load_pages(tmp_path)}
    assert len(pages) == 3 and len(load_pages(tmp_path)) == 3
    assert pages["http://shop/p/1"]["rendered"] and pages["http://shop/p/1"]["is_product"]
    assert not pages["http://shop/p/0"]["rendered"]


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Crème brûlée à la façon de grand-mère", "latin-1"),
        ("抹茶のロールケーキ。北海道産の生地です。", "shift_jis"),
    ],
)
def test_the_raw_bytes_of_a_stored_page_are_recoverable(
    tmp_path: Path, text: str, codec: str
) -> None:
    """Issue 14, case 9: a page that declares no charset is stored as text with the encoding it
    was read in; `raw_html` gives back the very bytes that were fetched."""
    body = f"<html><body><h1>{text}</h1><p>{text}</p></body></html>".encode(codec)
    with PageDatasetWriter(tmp_path) as writer:
        writer.add(page_row("shop", "http://shop/p/1", body))
    (row,) = load_pages(tmp_path)
    assert text in row["html"] and raw_html(row) == body


def test_shards_of_an_older_schema_get_the_new_columns(tmp_path: Path) -> None:
    """A dataset written before `encoding` existed: the next writer gives its shards the column
    (empty), so that old and new pages load as one dataset."""
    with PageDatasetWriter(tmp_path) as writer:
        writer.add(page_row("shop", "http://shop/p/1", PRODUCT))
    (shard,) = tmp_path.glob("data-*.arrow")
    with pa.OSFile(str(shard)) as source:
        table = pa.ipc.open_stream(source).read_all().drop_columns(["encoding"])
    old = shard.with_name("old.arrow")
    with pa.OSFile(str(old), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as out:
        out.write_table(table)
    old.replace(shard)
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    del info["features"]["encoding"]
    (tmp_path / "dataset_info.json").write_text(json.dumps(info))
    assert "encoding" not in load_pages(tmp_path).column_names  # the old layout loads as it is
    with PageDatasetWriter(tmp_path) as writer:
        writer.add(page_row("shop", "http://shop/p/2", PRODUCT.encode("utf-8")))
    rows = list(load_pages(tmp_path))
    assert [(row["url"], row["encoding"]) for row in rows] == [
        ("http://shop/p/1", None),
        ("http://shop/p/2", "utf-8"),
    ]
    assert raw_html(rows[0]) == PRODUCT.encode("utf-8")


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
