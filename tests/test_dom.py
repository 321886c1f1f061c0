"""Text nodes from HTML: visibility, document order, XPaths that resolve, bad input."""

from __future__ import annotations

import json
import time

import lxml.html
import pytest

import extractor.page.dom
from extractor.page.dom import (
    PageError,
    decode_html,
    iter_text_nodes,
    parse_html,
    repair_text,
    sniff_encoding,
    text_nodes,
)

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


def test_nesting_deeper_than_libxml2_reads_keeps_the_rest_of_the_page() -> None:
    """Issue 14, case 13: past ~2048 levels libxml2 drops the rest of the page (footer
    included); the deep elements are flattened instead, their text and everything after kept."""
    html = "<body>" + "<div>" * 3000 + "deep" + "</div>" * 3000 + "<footer>Footer</footer>"
    assert [n["text"] for n in text_nodes(html)] == ["deep", "Footer"]


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Crème brûlée à la façon de grand-mère, garnie d'éclats de noisettes", "latin-1"),
        ("Großer Kühlschrank für die Küche, günstig und schön", "cp1252"),
        (
            "抹茶のロールケーキ。北海道産の生クリームを使用した、しっとりとした生地です。",
            "shift_jis",
        ),
        ("北京烤鸭是一道著名的中国菜，以其色泽红艳、肉质细嫩而闻名。", "gb18030"),
    ],
)
def test_an_undeclared_encoding_is_detected_and_lossless(text: str, codec: str) -> None:
    """Issue 14, case 9: a page that declares no charset is read in the encoding it is written
    in; the text encodes back to the very bytes (the raw page is recoverable)."""
    body = f"<html><body><h1>{text}</h1></body></html>".encode(codec)
    encoding, decoded = sniff_encoding(body, "text/html")
    assert "\ufffd" not in decoded and text in decoded
    assert decoded.encode(encoding) == body


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


def test_utf8_bytes_declared_iso8859_15_decode_as_utf8() -> None:
    """w3lib names the declared ISO-8859-15 "iso8859-15"; it is a Latin declaration all the same."""
    body = (
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-15">'
        "<table><tr><td>€210,<span>87</span></td></tr></table><h1>Monitor weiß</h1>"
    )
    assert decode_html(body.encode("utf-8")) == body  # not left to the text repair


#: UTF-8 text read as Latin-1, cp1252 or ISO-8859-15 (once, twice, or in part), as pages show it.
MOJIBAKE = [
    ("â\x82¬210,", "€210,"),  # the euro sign read as Latin-1
    ("zzgl. Versand ab â‚¬ 5,90", "zzgl. Versand ab € 5,90"),  # read as cp1252
    ("MP273APDE HDMI, DP 4ms weiÃ\x9f", "MP273APDE HDMI, DP 4ms weiß"),
    ("4ms (GtG), HÃ¶henverstellung, Pivot", "4ms (GtG), Höhenverstellung, Pivot"),
    ("Wir sind fÃŒr Sie da", "Wir sind für Sie da"),  # read as ISO-8859-15
    ("Naturgetreu mit 178Â° Blickwinkel", "Naturgetreu mit 178° Blickwinkel"),
    ("Standfuß, um volle 90Â° drehbar", "Standfuß, um volle 90° drehbar"),  # mixed
    ("Â£5.99", "£5.99"),
    ("Ã\x83Â¶ko", "öko"),  # read wrongly twice
    ("CrÃ¨me brÃ»lÃ©e", "Crème brûlée"),
    ("Ã\xa0 la carte", "à la carte"),  # the no-break space byte kept
    ("Ð\x9cÐ¾Ð½Ð¸Ñ\x82Ð¾Ñ\x80", "Монитор"),
    ("æ\x97¥æ\x9c¬èª\x9e", "日本語"),
    ("FRESH \x91N REBEL", "FRESH ‘N REBEL"),  # a cp1252 byte read as a C1 control
]

#: Correct text: non-ASCII, some of it with character pairs that mojibake has too ("ß“", "É»").
CORRECT = [
    "Größe: 27 Zoll, Höhenverstellung, weiß",
    "„Standfuß“ und „TÜV-GEPRÜFT“, Qualität „MADE IN ÖSTERREICH“",
    "Crème brûlée à la française, «Café», «ÉTÉ», CAFÉ™, Café’s",
    "Ça coûte 5 €, dès 9,99 €",
    "Señor… ¿qué? canción…",
    "NÃO, São Paulo",
    "£5.99 – 1.299,00 € – Ångström ½ cup ©®™",
    "日本語の商品名 ¥1,280",
    "Монитор 27 дюймов — 15 990 ₽",
    "Zażółć gęślą jaźń, Příliš žluťoučký kůň",
    "İstanbul ığüşöç, Tiếng Việt, Þú ert ð",
    "شاشة ٢٧ بوصة 👍",
]


@pytest.mark.parametrize(("broken", "fixed"), MOJIBAKE)
def test_repair_text_undoes_mojibake(broken: str, fixed: str) -> None:
    assert repair_text(broken) == fixed


@pytest.mark.parametrize("text", CORRECT)
def test_repair_text_keeps_correct_text(text: str) -> None:
    assert repair_text(text) == text


def test_clean_text_never_reaches_the_slow_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-check keeps text without a mojibake character pair away from ftfy (cost)."""

    def fail(text: str) -> str:
        raise AssertionError(f"ftfy called on {text!r}")

    monkeypatch.setattr(extractor.page.dom.ftfy, "fix_encoding", fail)
    everyday = [
        "Größe: 27 Zoll, weiß",
        "Ça coûte 5 €",
        "£5.99 – 1.299,00 €",
        "日本語 ¥1,280",
        "Монитор",
    ]
    for text in everyday:
        assert repair_text(text) == text
    with pytest.raises(AssertionError):
        repair_text(MOJIBAKE[0][0])


def test_text_nodes_are_repaired() -> None:
    """Mojibake already in the bytes of a UTF-8 page, next to correct text in the same node."""
    body = (
        '<meta charset="utf-8"><h3>Ansichten mit 178Â° Blickwinkel</h3>'
        "<p>Standfuß, um volle 90Â° drehbar</p><p>Ã\xa0 la carte</p>"
    )
    texts = [n["text"] for n in text_nodes(body.encode("utf-8"))]
    assert texts == [
        "Ansichten mit 178° Blickwinkel",
        "Standfuß, um volle 90° drehbar",
        "à la carte",
    ]


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
