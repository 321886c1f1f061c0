"""Text nodes from HTML: visibility, document order, XPaths that resolve, bad input."""

from __future__ import annotations

import json
import time

import lxml.html
import pytest

from extractor.dom import PageError, iter_text_nodes, parse_html, text_nodes

PAGE = """<html lang="de"><head><title>T</title><style>.a{}</style>
<script>var price = "9,99 €";</script></head><body>
<div class="pdp__title" id="main">Hello <b>big</b> world<span hidden>secret</span></div>
<p style="display: none">invisible</p><noscript>enable js</noscript>
<ul><li>one</li><li itemprop="price" aria-label="Preis">1.299,00 €</li></ul>
<!-- a comment --><template><p>tpl</p></template></body></html>"""


def test_visible_text_in_document_order() -> None:
    nodes = text_nodes(PAGE)
    assert [n["text"] for n in nodes] == ["Hello", "big", "world", "one", "1.299,00 €"]


def test_hints_and_tags() -> None:
    nodes = text_nodes(PAGE)
    assert nodes[0]["tag"] == "div"
    assert nodes[0]["attrs"]["class"] == "pdp__title"
    assert nodes[0]["attrs"]["id"] == "main"
    assert nodes[-1]["attrs"]["itemprop"] == "price"
    assert nodes[-1]["attrs"]["aria-label"] == "Preis"


def test_every_xpath_resolves_to_its_text() -> None:
    root = lxml.html.document_fromstring(PAGE)
    for node in text_nodes(PAGE):
        found = root.xpath(node["xpath"])
        assert len(found) == 1, node
        value = found[0] if isinstance(found[0], str) else found[0].text
        assert " ".join(value.split()) == node["text"]


def test_xpaths_unique_on_real_pages(realpages) -> None:
    labels = [json.loads(line) for line in (realpages / "labels.jsonl").open()][:15]
    for entry in labels:
        nodes = text_nodes((realpages / entry["file"]).read_bytes())
        assert nodes, entry["file"]
        xpaths = [n["xpath"] for n in nodes]
        assert len(set(xpaths)) == len(xpaths), entry["file"]


def test_declared_non_utf8_encoding_is_honoured() -> None:
    body = '<html><head><meta charset="windows-1252"></head><p>Caf\u00e9 \u20ac</p></html>'
    nodes = text_nodes(body.encode("windows-1252"))
    assert nodes[0]["text"] == "Caf\u00e9 \u20ac"
    header = text_nodes("<p>\u6a5f\u80fd</p>".encode("shift_jis"), "text/html; charset=shift_jis")
    assert header[0]["text"] == "\u6a5f\u80fd"


def test_malformed_html_still_gives_nodes() -> None:
    nodes = text_nodes("<div><p>Price <b>12 €<div></span>Name</td></table>")
    assert [n["text"] for n in nodes] == ["Price", "12 €", "Name"]


def test_deep_nesting_does_not_recurse() -> None:
    html = "<div>" * 1500 + "deep" + "</div>" * 1500  # deeper than Python recursion
    assert [n["text"] for n in text_nodes(html)] == ["deep"]


@pytest.mark.parametrize("body", ["", "   \n", b""])
def test_empty_page_is_a_clear_error(body: str | bytes) -> None:
    with pytest.raises(PageError, match="empty page"):
        parse_html(body)


def test_page_with_no_text_has_no_nodes() -> None:
    assert text_nodes("<html><body><img src=a.png><script>x()</script></body></html>") == []


def test_utf8_bytes_mislabelled_as_latin1_decode_as_utf8() -> None:
    """Saved pages often keep a Latin-1 declaration after being re-encoded to UTF-8."""
    body = '<meta charset="iso-8859-1"><p>1.299,00 \u20ac</p>'
    assert text_nodes(body.encode("utf-8"))[0]["text"] == "1.299,00 \u20ac"
    assert text_nodes("<meta charset=iso-8859-1><p>Caf\u00e9</p>".encode("latin-1"))[0]["text"] == (
        "Caf\u00e9"
    )


def test_xpaths_equal_lxml_getpath_on_real_pages(realpages) -> None:
    """Incrementally built XPaths are the ones lxml's getpath writes (which the matcher uses)."""
    for path in sorted(realpages.glob("pages/*/1.html"))[:25]:
        root = parse_html(path.read_bytes())
        tree = root.getroottree()
        for node in iter_text_nodes(root):
            element_path = node["xpath"].split("/text()[")[0]
            element = tree.xpath(element_path)
            assert len(element) == 1 and tree.getpath(element[0]) == element_path, path


def test_many_siblings_stay_linear() -> None:
    html = "<ul>" + "".join(f"<li>item {i}</li>" for i in range(20000)) + "</ul>"
    start = time.perf_counter()
    nodes = text_nodes(html)
    assert len(nodes) == 20000 and nodes[-1]["xpath"] == "/html/body/ul/li[20000]"
    assert time.perf_counter() - start < 5  # quadratic getpath took ~25 s here
