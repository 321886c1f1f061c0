"""The browser annotator without a browser: edits, the annotations file under two writers, a
hostile page made safe, next-page suggestions, the app's security (token, Host, bind, paths, a
corrupt file) over real HTTP, and the Label Studio round trip."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from extractor.annotate.attributes import SchemaError, add_attribute, attribute_list, load_schema
from extractor.annotate.edits import EditError, PageTargets, apply_edits
from extractor.annotate.labelstudio import export_tasks, import_tasks
from extractor.annotate.render import render_page
from extractor.annotate.server import BindError, Running, check_bind, serve_in_thread
from extractor.annotate.session import Session
from extractor.annotate.state import AnnotationStore
from extractor.annotate.suggest import suggest, template_groups
from extractor.cli import main
from extractor.data.annotations import AnnotationError, annotations_from_values
from extractor.data.pages import PageDatasetWriter, page_row
from extractor.data.store import StoreDir
from fixtures.generator import generate_store

BASE = "http://shop.test"
#: A stored page that tries everything a crawled page might: scripts, handlers, a javascript:
#: link, remote images, style sheets, frames, a form, a refresh. `/pwned-*` would reach the
#: annotator's own origin; `evil.test` anywhere else.
HOSTILE = """<!DOCTYPE html><html><head><title>Hostile product</title>
<script>fetch('/pwned-script'); document.title = 'ran';</script>
<link rel="stylesheet" href="http://evil.test/style.css">
<meta http-equiv="refresh" content="0;url=/pwned-refresh">
<style>body { background: url(/pwned-css); } @import url('http://evil.test/i.css');</style>
<base href="http://evil.test/">
</head><body onload="fetch('/pwned-onload')">
<h1 id="name" onclick="fetch('/pwned-onclick')">Hostile Teapot 3000</h1>
<img id="photo" src="http://evil.test/teapot.jpg" onerror="fetch('/pwned-onerror')" alt="teapot">
<img src="/pwned-local-image" srcset="/pwned-srcset 2x" alt="second">
<p class="price">Price: 12.99 EUR</p>
<a id="buy" href="javascript:fetch('/pwned-link')">Buy now</a>
<a href="http://evil.test/elsewhere">Elsewhere</a>
<div style="background-image: url('/pwned-inline-style')">Styled text</div>
<iframe src="/pwned-iframe"></iframe><object data="/pwned-object"></object>
<svg><script>fetch('/pwned-svg')</script><image href="/pwned-svg-image"/></svg>
<form action="/pwned-form"><input name="q" autofocus onfocus="fetch('/pwned-focus')"></form>
<video poster="/pwned-poster" src="/pwned-video"></video>
</body></html>"""
HOSTILE_URL = BASE + "/hostile.html"


def make_store(data: Path, products: int = 5, hostile: bool = False) -> tuple[StoreDir, list[Any]]:
    """data/shop with the product pages of a generated store (and the hostile page)."""
    fixture = generate_store(index=2, products=products, site_pages=False)
    store = StoreDir(data, "shop")
    with PageDatasetWriter(store.pages_dir) as writer:
        for page in fixture.product_pages:
            writer.add(page_row("shop", BASE + page.path, page.html))
        if hostile:
            writer.add(page_row("shop", HOSTILE_URL, HOSTILE))
    return store, fixture.product_pages


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoreDir, list[Any]]:
    """A store of five product pages and the hostile page (read-only: tests copy it)."""
    return make_store(tmp_path_factory.mktemp("data"), hostile=True)


@pytest.fixture
def store(shop: tuple[StoreDir, list[Any]], tmp_path: Path) -> StoreDir:
    """A fresh copy of the store, for a test that writes."""
    import shutil

    shutil.copytree(shop[0].path, tmp_path / "shop")
    return StoreDir(tmp_path, "shop")


def _targets(session: Session, index: int) -> PageTargets:
    return session.pages.targets(index, session.frame(index))


def _node(session: Session, index: int, text: str) -> dict[str, Any]:
    return next(n for n in session.pages.meta[index]["nodes"] if text in n["text"])


# --- edits ----------------------------------------------------------------------------------


def test_edits_mark_spans_list_items_and_images(store: StoreDir) -> None:
    session = Session(store)
    index = session.pages.index[HOSTILE_URL]
    targets = _targets(session, index)
    h1 = _node(session, index, "Teapot")
    price = _node(session, index, "12.99")
    photo = session.page(index)["images"][0]
    ops = [
        {"op": "set", "attribute": "name", "spans": [{"xpath": h1["xpath"], "start": 0, "end": 7}]},
        {
            "op": "set",
            "attribute": "name",
            "spans": [{"xpath": h1["xpath"], "start": 8, "end": 14}],
        },
        {"op": "add", "attribute": "tags", "spans": [{"xpath": h1["xpath"], "start": 0, "end": 7}]},
        {
            "op": "add",
            "attribute": "tags",
            "spans": [{"xpath": price["xpath"], "start": 7, "end": 12}],
        },
        {"op": "set", "attribute": "image", "images": [{"xpath": photo["xpath"]}]},
    ]
    annotation = apply_edits(None, targets, ops, {"tags"})
    assert annotation is not None
    assert annotation["values"] == {
        "name": "Teapot",
        "tags": ["Hostile", "12.99"],
        "image": "http://evil.test/teapot.jpg",
    }
    assert [s["item"] for s in annotation["spans"]["tags"]] == [0, 1]
    fewer = apply_edits(
        annotation, targets, [{"op": "remove", "attribute": "tags", "item": 0}], {"tags"}
    )
    assert fewer is not None and fewer["values"]["tags"] == ["12.99"]
    assert fewer["spans"]["tags"][0]["item"] == 0
    ops = [{"op": "clear", "attribute": a} for a in ("name", "tags", "image")]
    assert apply_edits(fewer, targets, ops, {"tags"}) is None
    bad = [
        {"op": "set", "attribute": "name", "spans": [{"xpath": "/html/x", "start": 0, "end": 1}]},
        {
            "op": "set",
            "attribute": "name",
            "spans": [{"xpath": h1["xpath"], "start": 0, "end": 99}],
        },
        {
            "op": "set",
            "attribute": "B-name",
            "spans": [{"xpath": h1["xpath"], "start": 0, "end": 1}],
        },
        {"op": "set", "attribute": "image", "images": [{"xpath": "/etc/passwd"}]},
        {"op": "explode", "attribute": "name"},
    ]
    for op in bad:
        with pytest.raises(EditError):
            apply_edits(None, targets, [op], set())


def test_custom_attributes_have_a_name_and_a_type(tmp_path: Path) -> None:
    path = tmp_path / "attributes.json"
    add_attribute(path, "tags", "list")
    add_attribute(path, "author", "text")
    listed = attribute_list(load_schema(path))
    assert [(a["name"], a["type"]) for a in listed[-2:]] == [("tags", "list"), ("author", "text")]
    assert len({a["key"] for a in listed}) == len(listed)
    for name, kind in [("Bad Name", "text"), ("price", "text"), ("colour", "colour")]:
        with pytest.raises(SchemaError):
            add_attribute(path, name, kind)


# --- the annotations file ---------------------------------------------------------------------


def test_two_writers_keep_each_other_s_edits(store: StoreDir) -> None:
    """Two tabs (here: two annotators on one file) edit in turn; neither loses the other's."""
    session = Session(store)
    first, second = AnnotationStore(store.annotations_file), AnnotationStore(store.annotations_file)
    targets = _targets(session, 0)
    nodes = session.pages.meta[0]["nodes"]
    span = {"xpath": nodes[0]["xpath"], "start": 0, "end": len(nodes[0]["text"])}
    v1, _ = first.edit(targets, [{"op": "set", "attribute": "name", "spans": [span]}], set())
    v2, annotation = second.edit(
        targets, [{"op": "set", "attribute": "brand", "spans": [span]}], set()
    )
    assert annotation is not None and set(annotation["spans"]) == {"name", "brand"}
    assert v1 != v2 and first.snapshot()[0] == v2
    saved = [json.loads(line) for line in store.annotations_file.read_text().splitlines()]
    assert set(saved[0]["spans"]) == {"name", "brand"}


def test_a_corrupt_annotations_file_is_reported_and_never_overwritten(
    store: StoreDir, capsys: pytest.CaptureFixture[str]
) -> None:
    good = {"url": BASE + "/a", "spans": {}}
    text = json.dumps(good) + "\n" + '{"url": "b", "spans": {"name": [oops]}\n'
    store.annotations_file.write_text(text, encoding="utf-8")
    argv = ["annotate", "shop", "--no-browser", "--data-dir", str(store.data_dir)]
    assert main(argv) == 2
    assert f"{store.annotations_file}:2" in capsys.readouterr().err
    assert store.annotations_file.read_text(encoding="utf-8") == text

    # Broken while the annotator runs: the edit is refused, the file stays as it is.
    store.annotations_file.unlink()
    session = Session(store)
    store.annotations_file.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotationError, match=":2"):
        session.edit(0, [{"op": "clear", "attribute": "name"}])
    assert store.annotations_file.read_text(encoding="utf-8") == text


# --- the page in its frame ----------------------------------------------------------------------


def test_a_hostile_page_is_shown_without_anything_that_runs_or_fetches(
    shop: tuple[StoreDir, list[Any]],
) -> None:
    session = Session(shop[0])
    index = session.pages.index[HOSTILE_URL]
    rendered = session.frame(index)
    root = lxml.html.fromstring(rendered.html)
    assert not root.xpath("//script | //iframe | //object | //embed | //link | //base | //video")
    assert not root.xpath("//meta[@http-equiv][not(@http-equiv='Content-Security-Policy')]")
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert name not in ("href", "action", "srcset", "poster", "data", "formaction")
            if name == "src":
                assert value.startswith("data:image/svg+xml,"), value
            assert "javascript:" not in value.lower() or name == "data-sw-href"
    css = "".join(s.text or "" for s in root.iter("style"))
    assert "@import" not in css and "url(" not in css.replace("blocked-url(", "")
    assert "url(" not in rendered.html.replace("blocked-url(", "")
    # Every text node and image can be marked.
    assert rendered.marked == list(range(len(session.pages.meta[index]["nodes"])))
    assert [i["url"] for i in rendered.images][:1] == ["http://evil.test/teapot.jpg"]


def test_a_page_that_cannot_be_shown_says_why() -> None:
    rendered = render_page({"url": "http://shop.test/x", "html": "", "nodes": []})
    assert rendered.error and "cannot be shown" in rendered.html


def test_suggestions_cover_templates_then_unsure_pages() -> None:
    groups = template_groups(
        [
            frozenset({"/a", "/b"}),
            frozenset({"/a", "/b"}),
            frozenset({"/x"}),
            frozenset({"/a", "/b"}),
        ]
    )
    assert groups == [0, 0, 1, 0]
    sure = {0: 0.9, 1: 0.4, 2: 0.8, 3: 0.95}
    picked = suggest(groups, [0, 1, 2, 3], {0}, sure.get, count=3)
    assert [s.index for s in picked] == [2, 1, 3]
    assert "template" in picked[0].reason and "unsure" in picked[1].reason


# --- the app over HTTP ----------------------------------------------------------------------------


@pytest.fixture
def served(store: StoreDir) -> Iterator[Running]:
    with serve_in_thread(Session(store)) as running:
        yield running


def _request(
    running: Running,
    path: str,
    body: Any = None,
    token: str | None = "",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None and body is not None:
        sent["X-Shopwright-Token"] = token or running.token
    sent |= headers or {}
    request = urllib.request.Request(running.url.rstrip("/") + path, data=data, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, got, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, got, raw = exc.code, dict(exc.headers), exc.read()
    try:
        return status, got, json.loads(raw)
    except ValueError:
        return status, got, raw.decode("utf-8", "replace")


def test_state_changes_need_the_session_token(served: Running, store: StoreDir) -> None:
    status, headers, state = _request(served, "/api/state")
    assert status == 200 and state["store"] == "shop" and state["annotated"] == 0
    assert "default-src 'none'" in headers["content-security-policy"]
    _, _, page = _request(served, "/api/pages/0")
    node = page["nodes"][0]
    span = {"xpath": node["xpath"], "start": 0, "end": len(node["text"])}
    edit = {"ops": [{"op": "set", "attribute": "name", "spans": [span]}]}
    assert _request(served, "/api/pages/0/edit", edit, token=None)[0] == 403
    assert _request(served, "/api/pages/0/edit", edit, token="wrong")[0] == 403
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _request(served, "/api/pages/0/edit", edit, headers=form)[0] == 415
    assert _request(served, "/api/attributes", {"name": "tags", "type": "list"}, None)[0] == 403
    assert _request(served, "/api/adapt", {}, token=None)[0] == 403
    assert not store.annotations_file.exists()
    status, _, saved = _request(served, "/api/pages/0/edit", edit)
    assert status == 200 and saved["annotation"]["values"]["name"] == node["text"]
    assert (
        json.loads(store.annotations_file.read_text())["spans"]["name"][0]["xpath"] == span["xpath"]
    )
    # The token is in the app's page (same origin only), never in the API's answers.
    _, _, home = _request(served, "/")
    assert served.token in home and served.token not in json.dumps(
        _request(served, "/api/state")[2]
    )


def test_other_hosts_and_paths_outside_the_app_are_refused(served: Running) -> None:
    """No DNS rebinding (Host is checked), no file reached by a path from a request."""
    assert _request(served, "/api/state", headers={"Host": "evil.test"})[0] == 400
    for path in (
        "/static/..%2F..%2Fpyproject.toml",
        "/static/../../pyproject.toml",
        "/static/%2e%2e/app.py",
        "/static/index.html",
        "/frame/-1",
        "/frame/99",
        "/frame/..%2F..%2Fetc%2Fpasswd",
        "/api/pages/1e3",
        "/data/shop/annotations.jsonl",
        "/../../etc/passwd",
    ):
        status, _, body = _request(served, path)
        assert status == 404, path
        assert "[project]" not in str(body) and "root:" not in str(body)
    status, headers, html = _request(served, "/frame/0")
    assert status == 200 and "<script" not in html
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy


def test_non_loopback_binds_are_refused_unless_asked(
    store: StoreDir, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_bind("127.0.0.1") == "127.0.0.1" and check_bind("::1") == "::1"
    assert check_bind("localhost") == "localhost"
    for host in ("0.0.0.0", "192.168.1.5", "example.com", "::"):
        with pytest.raises(BindError):
            check_bind(host)
    assert check_bind("0.0.0.0", allow_remote=True) == "0.0.0.0"
    argv = [
        "annotate",
        "shop",
        "--host",
        "0.0.0.0",
        "--no-browser",
        "--data-dir",
        str(store.data_dir),
    ]
    assert main(argv) == 2
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err


# --- Label Studio -------------------------------------------------------------------------------


def test_label_studio_round_trip(
    store: StoreDir, shop: tuple[StoreDir, list[Any]], tmp_path: Path
) -> None:
    session = Session(store)
    rows = [session.pages.row(i) for i in range(len(session.pages))]
    values = tmp_path / "values.jsonl"
    with values.open("w", encoding="utf-8") as handle:
        for page in shop[1][:2]:
            labels = {k: page.labels[k] for k in ("name", "price", "image")}
            labels["codes"] = [page.labels["sku"], page.labels["mpn"]]  # a list
            handle.write(json.dumps({"url": BASE + page.path, "labels": labels}) + "\n")
    annotations, _ = annotations_from_values(values, rows)
    session.annotations.replace(annotations)
    add_attribute(session.attributes_file, "tags", "list")
    hostile = session.pages.index[HOSTILE_URL]
    h1, price = _node(session, hostile, "Teapot"), _node(session, hostile, "12.99")
    session.edit(
        hostile,
        [
            {
                "op": "add",
                "attribute": "tags",
                "spans": [{"xpath": h1["xpath"], "start": 8, "end": 14}],
            },
            {
                "op": "add",
                "attribute": "tags",
                "spans": [{"xpath": price["xpath"], "start": 7, "end": 12}],
            },
        ],
    )
    before = session.annotations.snapshot()[1]
    assert any("images" in a for a in before) and any(
        "item" in s for a in before for s in a["spans"].get("tags", [])
    )

    tasks_file = tmp_path / "tasks.json"
    counts = export_tasks(session, tasks_file)
    assert counts == {"annotated": 3, "tasks": 6}  # the annotated and 3 suggested
    tasks = json.loads(tasks_file.read_text())
    assert '<HyperTextLabels name="label" toName="html">' in Path(f"{tasks_file}.xml").read_text()
    region = tasks[0]["annotations"][0]["result"][0]
    assert region["type"] == "hypertextlabels" and region["value"]["start"].startswith("/div[1]/")
    # A region's XPath and offsets address its text inside the task's HTML, as in Label Studio.
    fragment = copy.deepcopy(lxml.html.fragment_fromstring(tasks[0]["data"]["html"]))
    hit = fragment.getroottree().xpath(region["value"]["start"])[0]
    assert (
        hit[region["value"]["startOffset"] : region["value"]["endOffset"]]
        == region["value"]["text"]
    )

    store.annotations_file.unlink()
    assert (
        main(
            [
                "annotate",
                "shop",
                "--import-label-studio",
                str(tasks_file),
                "--data-dir",
                str(store.data_dir),
            ]
        )
        == 0
    )
    assert Session(store).annotations.snapshot()[1] == before

    # Edited in Label Studio: the changed attribute is made again from its regions.
    edited = copy.deepcopy(tasks)
    task = next(t for t in edited if t["data"]["url"] == HOSTILE_URL)
    task["annotations"].append(
        {
            "created_at": "2099-01-01T00:00:00Z",
            "result": [
                {**r, "value": {**r["value"], "startOffset": 0, "endOffset": 7}}
                for r in task["annotations"][0]["result"][:1]
            ],
        }
    )
    edited_file = tmp_path / "edited.json"
    edited_file.write_text(json.dumps(edited))
    assert import_tasks(Session(store), edited_file)["imported"] == 3
    after = {a["url"]: a for a in Session(store).annotations.snapshot()[1]}[HOSTILE_URL]
    assert after["values"] == {"tags": ["Hostile"]}

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps([{"data": {"url": BASE + "/nowhere"}, "annotations": [{"result": []}]}])
    )
    with pytest.raises(AnnotationError, match="task 1"):
        import_tasks(Session(store), bad)


def test_the_command_serves_the_store_and_prints_its_url(store: StoreDir) -> None:
    """`shopwright annotate STORE`: a URL on 127.0.0.1 with a free port, stopped by Ctrl-C."""
    import signal
    import subprocess
    import sys

    argv = [sys.executable, "-m", "extractor.cli", "annotate", "shop", "--no-browser"]
    argv += ["--data-dir", str(store.data_dir)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("annotating store 'shop' at http://127.0.0.1:"), line
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/state", timeout=30) as response:
            assert json.loads(response.read())["store"] == "shop"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    assert process.returncode in (0, 130), process.stderr.read() if process.stderr else ""
