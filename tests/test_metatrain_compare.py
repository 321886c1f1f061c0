"""The paired comparison of two methods of an evaluation: counts, macro F1, bootstrap, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metatrain.__main__ import main
from metatrain.compare import add, compare, macro_f1, page_counts, paired_bootstrap
from metatrain.evaluate import evaluate
from metatrain.methods import StructuredMethod, WrapperMethod
from metatrain.scoring import ScoredPage, score_pages
from metatrain.synthetic import write_stores
from metatrain.tasks import read_labels


def test_summed_page_counts_give_the_reports_macro_f1() -> None:
    pages = [
        ScoredPage({"name": "Lamp", "price": "9.00"}, {"name": "Lamp", "price": "8.00"}),
        ScoredPage({"name": "Desk", "sku": "A1"}, {"name": "Chair", "brand": "X"}, partial=True),
        ScoredPage({"name": "Sofa"}, {}),
    ]
    total: dict[str, list[int]] = {}
    for page in pages:
        add(total, page_counts(page))
    assert macro_f1(total) == pytest.approx(score_pages(pages).macro_f1)
    assert total["name"] == [1, 2, 3]


def test_bootstrap_of_a_method_against_itself_is_a_tie() -> None:
    stores = {f"s{i}": {"name": (i % 2, 1, 1), "price": (1, 1, 1)} for i in range(8)}
    low, high, ahead, tied = paired_bootstrap(stores, stores, samples=200)
    assert (low, high, ahead, tied) == (0.0, 0.0, 0.0, 1.0)


def test_a_method_better_on_every_store_is_ahead_in_every_sample() -> None:
    a = {f"s{i}": {"name": (1, 1, 1), "price": (1, 1, 1)} for i in range(6)}
    b = {f"s{i}": {"name": (0, 1, 1), "price": (1, 1, 1)} for i in range(6)}
    (result,) = compare({("meta", 1): a, ("joint", 1): b}, "meta", ["joint"], samples=300)
    assert result.macro_a == 1.0 and result.macro_b == 0.5 and result.stores == 6
    assert result.ahead == 1.0 and result.low > 0
    assert (result.better, result.worse) == (6, 0)
    # One store where b wins: the interval now reaches below zero in some samples.
    b["s0"] = {"name": (1, 1, 1), "price": (1, 1, 1)}
    a["s0"] = {"name": (0, 1, 1), "price": (0, 1, 1)}
    # and one where they are level
    a["s1"] = b["s1"]
    (result,) = compare({("meta", 1): a, ("joint", 1): b}, "meta", ["joint"], samples=300)
    assert 0 < result.ahead < 1 and result.low < 0 < result.high
    assert (result.better, result.worse) == (4, 1)


def test_cli_compares_the_methods_of_an_evaluation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = write_stores(tmp_path / "data", stores=3, pages=4)
    out = tmp_path / "eval"
    methods = [WrapperMethod(), StructuredMethod()]
    evaluate(
        read_labels(labels),
        methods,
        shots=[0, 1],
        repeats=2,
        seed=0,
        out=out,
        labels_path=str(labels),
    )
    assert main(["compare", str(out), "--methods", "wrapper,structured", "--samples", "200"]) == 0
    printed = capsys.readouterr().out
    assert "wrapper" in printed and "95% interval" in printed
    saved = json.loads((out / "compare.json").read_text())
    assert [(c["a"], c["b"], c["shots"]) for c in saved["comparisons"]] == [
        ("wrapper", "structured", 0),
        ("wrapper", "structured", 1),
    ]
    report = json.loads((out / "report.json").read_text())
    k1 = saved["comparisons"][1]
    assert k1["macro_a"] == report["results"]["wrapper"]["1"]["macro_f1"]
    assert main(["compare", str(tmp_path), "--methods", "wrapper,structured"]) == 2
