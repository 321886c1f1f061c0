"""`shopwright extract / annotate / adapt` on a fixture store's page dataset with a tiny model."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from extractor.cli import main
from extractor.data.catalog import read_records
from extractor.data.pages import PageDatasetWriter, page_row
from extractor.extract import Extractor
from extractor.neural.model import ExtractorModel
from extractor.neural.precision import cpu_has_bf16
from extractor.values.records import validate_record
from fixtures.generator import generate_store

pytestmark = pytest.mark.usefixtures("one_thread")

BASE = "http://shop.test"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """data/shop/pages with five product pages of a generated store; its product pages."""
    data = tmp_path_factory.mktemp("data")
    fixture = generate_store(index=2, products=5, site_pages=False)
    with PageDatasetWriter(data / "shop" / "pages") as writer:
        for page in fixture.product_pages:
            writer.add(page_row("shop", BASE + page.path, page.html))
    return data, fixture.product_pages


def _args(store: tuple[Path, list], *extra: str) -> list[str]:
    return [*extra, "--data-dir", str(store[0])]


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".csv"])
def test_extract_writes_valid_records(
    store: tuple[Path, list], model_dir: Path, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"catalog{suffix}"
    args = ["extract", "shop", "-o", str(out), "--model", str(model_dir), "--no-progress"]
    assert main(_args(store, *args)) == 0
    records = read_records(out)
    assert len(records) == 5
    truth = {BASE + p.path: p.labels for p in store[1]}
    for record in records:
        if suffix != ".csv":
            validate_record(record)
        assert record["url"] in truth
    # The fixture pages carry JSON-LD that they show: names come through fusion.
    if suffix == ".json":
        assert sum(r.get("name") == truth[r["url"]]["name"] for r in records) >= 4


def test_extract_errors(
    store: tuple[Path, list], model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = str(tmp_path / "c.json")
    assert main(_args(store, "extract", "nostore", "-o", out, "--model", str(model_dir))) == 2
    assert "no page dataset for store 'nostore'" in capsys.readouterr().err
    assert main(_args(store, "extract", "shop", "-o", out, "--model", str(tmp_path))) == 2
    assert "no model at" in capsys.readouterr().err
    assert main(_args(store, "extract", "shop", "-o", str(tmp_path / "c.xml"))) == 2
    assert "unknown extension" in capsys.readouterr().err
    empty = store[0] / "empty" / "pages"
    PageDatasetWriter(empty).close()
    assert main(_args(store, "extract", "empty", "-o", out, "--model", str(model_dir))) == 2
    assert "has no pages yet" in capsys.readouterr().err


def _values(store: tuple[Path, list], path: Path, pages: int = 3, **extra: str) -> Path:
    lines = []
    for page in store[1][:pages]:
        labels = {k: v for k, v in page.labels.items() if k in ("name", "price", "sku")}
        labels |= extra
        lines.append(json.dumps({"url": BASE + page.path, "labels": labels}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_annotate_then_adapt_then_extract_with_the_store_model(
    store: tuple[Path, list], model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    values = _values(store, tmp_path / "values.jsonl", colour="Nowhere-on-the-page")
    assert main(_args(store, "annotate", "shop", "--values", str(values))) == 0
    printed = capsys.readouterr().out
    assert "colour: found on 0 pages, not found on 3" in printed
    annotations = [json.loads(x) for x in (store[0] / "shop" / "annotations.jsonl").open()]
    assert len(annotations) == 3 and all(a["spans"]["price"] for a in annotations)

    # A new attribute shown on the pages: learnt from the support spans alone.
    page = store[1][0]
    values = tmp_path / "v2.jsonl"
    lines = [
        json.dumps({"url": BASE + p.path, "labels": {"name": p.labels["name"], "age_range": r}})
        for p in store[1][:2]
        if (r := p.labels["age_range"])
    ]
    values.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["adapt", "shop", "--values", str(values), "--model", str(model_dir), "--steps", "2"]
    assert main(_args(store, *args, "--self-train", "4")) == 0
    assert "(new: age_range)" in capsys.readouterr().out
    store_model = store[0] / "shop" / "model"
    assert ExtractorModel.from_pretrained(store_model).config.attributes[-1] == "age_range"
    assert json.loads((store_model / "training.json").read_text())["self_training_pages"] == 4
    out = tmp_path / "c.jsonl"
    assert main(_args(store, "extract", "shop", "-o", str(out), "--no-progress")) == 0
    assert len(read_records(out)) == 5 and page.labels["name"]


def test_adapt_errors(
    store: tuple[Path, list], model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"file": "nope.html", "labels": {"name": "x"}}) + "\n")
    args = ["adapt", "shop", "--values", str(bad), "--model", str(model_dir)]
    assert main(_args(store, *args)) == 2
    assert "page 'nope.html' is not in the store's page dataset" in capsys.readouterr().err
    args = [
        "adapt",
        "shop",
        "--annotations",
        str(tmp_path / "none.jsonl"),
        "--model",
        str(model_dir),
    ]
    assert main(_args(store, *args)) == 2
    assert "no annotations at" in capsys.readouterr().err
    assert main(_args(store, "adapt", "shop", "--model", str(tmp_path / "m"))) == 2
    assert "no model at" in capsys.readouterr().err


@pytest.mark.parametrize("precision", [None, "int8", "bf16"])
def test_extract_at_a_precision_with_a_page_budget(
    store: tuple[Path, list],
    model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    precision: str | None,
) -> None:
    loaded: list[Extractor] = []

    def load(*args: Any, **kwargs: Any) -> Extractor:
        loaded.append(real_load(*args, **kwargs))
        return loaded[-1]

    real_load = Extractor.load
    monkeypatch.setattr(Extractor, "load", load)
    out = tmp_path / "c.jsonl"
    args = ["extract", "shop", "-o", str(out), "--model", str(model_dir), "--no-progress"]
    args += ["--page-tokens", "128"] + (["--precision", precision] if precision else [])
    with caplog.at_level(logging.INFO, logger="extractor.cli.extract"):
        assert main(_args(store, *args)) == 0
    assert len(read_records(out)) == 5
    expected = precision or ("bf16" if cpu_has_bf16() else "fp32")  # default: auto
    assert f"on cpu at {expected} precision" in caplog.text
    (model,) = [e.model for e in loaded]
    quantized = any("quantized" in type(m).__module__ for m in model.modules())
    assert (quantized, model.bf16_inference) == (expected == "int8", expected == "bf16")


def test_an_unknown_precision_is_rejected(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["extract", "shop", "--precision", "fp8"])
    assert "invalid choice: 'fp8'" in capsys.readouterr().err


def test_adapt_runs_in_fp32(
    store: tuple[Path, list], model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even on a bf16-capable CPU, no encoder layer of `shopwright adapt` runs in bf16."""
    seen: list[bool] = []
    real_run_layers = ExtractorModel._run_layers

    def run_layers(self: ExtractorModel, *args: Any) -> torch.Tensor:
        seen.append(self.bf16_inference)
        return real_run_layers(self, *args)

    monkeypatch.setattr(ExtractorModel, "_run_layers", run_layers)
    data = tmp_path / "data"
    shutil.copytree(store[0] / "shop" / "pages", data / "shop" / "pages")
    values = _values(store, tmp_path / "values.jsonl")
    args = ["adapt", "shop", "--values", str(values), "--model", str(model_dir), "--steps", "1"]
    assert main([*args, "--data-dir", str(data)]) == 0
    assert seen and not any(seen)
    saved = ExtractorModel.from_pretrained(data / "shop" / "model")
    assert all(t.dtype == torch.float32 for t in saved.state_dict().values())


def test_adapt_and_extract_import_neither_transformers_nor_dynamo(
    store: tuple[Path, list], model_dir: Path, tmp_path: Path
) -> None:
    """A command's start-up is part of its time (`shopwright adapt`: 10 s on 2 cores): the BERT
    encoder runs without `transformers` (about 3 s to import) and the inner loop's optimizer is
    built without the import of `torch._dynamo` (1.3 s) that SGD's constructor makes."""
    data = tmp_path / "data"
    shutil.copytree(store[0] / "shop", data / "shop")
    values = _values(store, tmp_path / "values.jsonl")
    adapt = ["adapt", "shop", "--values", str(values), "--model", str(model_dir), "--steps", "1"]
    extract = ["extract", "shop", "-o", str(tmp_path / "c.json"), "--no-progress"]
    script = (
        "import json, sys\n"
        "from extractor.cli import main\n"
        f"assert main({[*adapt, '--data-dir', str(data)]!r}) == 0\n"
        f"assert main({[*extract, '--data-dir', str(data)]!r}) == 0\n"
        "heavy = ('transformers', 'torch._dynamo', 'scipy')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert len(read_records(tmp_path / "c.json")) == 5
