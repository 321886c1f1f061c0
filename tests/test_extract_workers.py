"""`shopwright extract --workers 2` (a process pool) and `--cluster local` (Dask's local cluster)
write the same catalog as one process, record for record, on a fixture store of three chunks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.cli import main
from extractor.data.pages import PageDatasetWriter, page_row
from extractor.scale.chunks import CHUNK
from fixtures.generator import generate_store

pytestmark = pytest.mark.usefixtures("one_thread")

BASE = "http://shop.test"
#: Enough product pages for three chunks, the last one short.
PRODUCTS = 2 * CHUNK + 6


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/shop/pages: the product pages of a generated store, in small shards."""
    data = tmp_path_factory.mktemp("data")
    fixture = generate_store(index=3, products=PRODUCTS, site_pages=False)
    with PageDatasetWriter(data / "shop" / "pages", shard_size=16) as writer:
        for page in fixture.product_pages:
            writer.add(page_row("shop", BASE + page.path, page.html))
    return data


def extract(data: Path, model_dir: Path, out: Path, *extra: str) -> str:
    """Run `shopwright extract shop` and return the catalog it wrote."""
    argv = ["extract", "shop", "-o", str(out), "--model", str(model_dir)]
    assert main([*argv, "--data-dir", str(data), "--no-progress", *extra]) == 0
    return out.read_text()


def test_workers_and_a_dask_cluster_write_the_catalog_of_one_process(
    data: Path, model_dir: Path, tmp_path: Path
) -> None:
    one = extract(data, model_dir, tmp_path / "one.jsonl")
    assert len(one.splitlines()) == PRODUCTS
    # the records carry values (the pages' markup), so that equal catalogs say something
    assert all(json.loads(line).get("name") for line in one.splitlines())
    pool = extract(data, model_dir, tmp_path / "pool.jsonl", "--workers", "2")
    assert pool == one
    cluster = extract(
        data,
        model_dir,
        tmp_path / "cluster.jsonl",
        "--cluster",
        "local",
        "--workers",
        "2",
        "--pages-url",
        (data / "shop" / "pages").resolve().as_uri(),  # read through fsspec
    )
    assert cluster == one
