"""Export round trips for JSON, JSON Lines and CSV; atomic writes; unknown extensions."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from extractor.data.catalog import ExportError, read_records, write_records
from extractor.values.records import build_record

RECORDS = [
    build_record(
        "https://shop.example/p/1",
        {"name": "Café «Crème», 1 kg", "price": "12,99 €", "breadcrumb": ["Home", "Kaffee"],
         "gtin": "4711121603488", "roast": "dark"},
        {"name": 0.9, "price": 0.8},
    ),
    build_record("https://shop.example/p/2", {"name": 'Line\nbreak "quoted"'}, {}),
]  # fmt: skip


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".jl", ".csv"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    path = write_records(RECORDS, tmp_path / f"out{suffix}")
    assert read_records(path) == RECORDS
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]  # no temp file left


def test_csv_flattens_nested_values_as_json(tmp_path: Path) -> None:
    path = write_records(RECORDS, tmp_path / "out.csv")
    header, first = path.read_text(encoding="utf-8").splitlines()[:2]
    assert "breadcrumbs" in header.split(",")
    assert '[{""name"":""Home""},{""name"":""Kaffee""}]' in first


def test_unknown_extension_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"unknown extension '\.xml'"):
        write_records(RECORDS, tmp_path / "out.xml")
    assert not list(tmp_path.iterdir())


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_records(RECORDS[:1], tmp_path / "out.json")
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_records(RECORDS, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", '@HYPERLINK("x")']
FORMULAS += ["\t=1+1", "\r=1+1"]


def test_csv_cells_never_run_as_formulas(tmp_path: Path) -> None:
    """Issue 14, case 5 (OWASP, CSV injection): text that starts with = + - @, a tab or a
    carriage return is written with a leading quote, and read back as it was; numbers stay."""
    records = [build_record(f"https://shop.example/p/{i}", {"name": f}, {}) for i, f in
               enumerate(FORMULAS)]  # fmt: skip
    records[0]["price"] = "-12.50"
    path = write_records(records, tmp_path / "out.csv")
    cells = [row["name"] for row in csv.DictReader(path.open(encoding="utf-8", newline=""))]
    assert cells == ["'" + record["name"] for record in records]  # the record strips a tab
    assert "-12.50" in path.read_text(encoding="utf-8")
    assert read_records(path) == records


def test_the_crawl_feed_csv_is_safe_too(tmp_path: Path) -> None:
    """`scrapy crawl ... -O catalog.csv` uses the same cells (crawler.feeds)."""
    from crawler.feeds import SafeCsvItemExporter

    path = tmp_path / "feed.csv"
    with path.open("wb") as file:
        exporter = SafeCsvItemExporter(file)
        exporter.start_exporting()
        for formula in FORMULAS:
            exporter.export_item({"name": formula, "price": "-3"})
        exporter.finish_exporting()
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [row["name"] for row in rows] == ["'" + f for f in FORMULAS]
    assert {row["price"] for row in rows} == {"-3"}
