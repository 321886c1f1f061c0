"""The `shopwright` command line: subcommands that parse their own options get all of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.cli import main


@pytest.mark.parametrize("command", ["train", "meta-train", "evaluate"])
def test_help_of_a_subcommand_with_its_own_options(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    assert f"usage: shopwright {command}" in capsys.readouterr().out


def test_meta_train_checks_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"algorithm": "maml", "steps": 5}), encoding="utf-8")
    assert main(["-v", "meta-train", "--config", str(path), "--check"]) == 0
    assert f"{path}: valid" in capsys.readouterr().out
    path.write_text(json.dumps({"algorithm": "nope"}), encoding="utf-8")
    assert main(["meta-train", "--config", str(path), "--check"]) == 2
    assert main(["meta-train", "--config", str(tmp_path / "missing.json")]) == 2


def test_evaluate_reports_a_labels_file_without_pages(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("", encoding="utf-8")
    assert main(["evaluate", "--labels", str(labels), "--out", str(tmp_path / "o")]) == 2


def test_other_subcommands_parse_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["extract"])  # its required store is missing: argparse's own error
    assert stop.value.code == 2
    assert "required: store" in capsys.readouterr().err
