"""Two-fold cross-validated choice between methods of one evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metatrain.__main__ import main
from metatrain.crossval import choose
from metatrain.evaluate import evaluate
from metatrain.methods import StructuredMethod, WrapperMethod
from metatrain.synthetic import write_stores
from metatrain.tasks import read_labels, two_folds


def test_two_folds_deal_stores_by_page_count() -> None:
    first, second = two_folds({"a": 1, "b": 6, "c": 3, "d": 6, "e": 2})
    assert (first, second) == (["b", "c", "a"], ["d", "e"])


def test_each_fold_gets_the_method_better_on_the_other_fold() -> None:
    right, wrong = {"price": [1, 1, 1]}, {"price": [0, 1, 1]}
    # Folds b, c and d, a (dealt by page count): "x" is right on d and a, "y" on b and c.
    counts = {
        ("x", 1): {"a": right, "b": wrong, "c": wrong, "d": right},
        ("y", 1): {"a": wrong, "b": right, "c": right, "d": wrong},
    }
    pages = {"a": 2, "b": 9, "c": 3, "d": 8}
    [result] = choose(counts, ["x", "y"], pages)
    assert [(f.stores, f.chosen) for f in result.folds] == [(2, "x"), (2, "y")]
    # Chosen on the other fold, each store gets the method that is wrong on it.
    assert result.macro == 0.0
    assert result.per_method == {"x": 0.5, "y": 0.5}
    with pytest.raises(ValueError, match="common k"):
        choose(counts, ["x", "z"], pages)


def test_cli_writes_the_choice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = write_stores(tmp_path / "data", stores=4, pages=4)
    out = tmp_path / "eval"
    methods = [WrapperMethod(), StructuredMethod()]
    evaluate(
        read_labels(labels),
        methods,
        shots=[1],
        repeats=1,
        seed=0,
        out=out,
        labels_path=str(labels),
        progress=False,
    )
    assert main(["choose", str(out), "--methods", "wrapper,structured"]) == 0
    assert "cross-validated choice" in capsys.readouterr().out
    saved = json.loads((out / "choose.json").read_text())
    [k1] = saved["choices"]
    assert k1["shots"] == 1 and len(k1["folds"]) == 2
    assert main(["choose", str(out), "--methods", "wrapper"]) == 2
