"""HTML to visible text nodes: robust parsing, any encoding, document order, XPaths and hints."""

from __future__ import annotations

import codecs
import contextlib
import logging
import re
from collections.abc import Iterator
from typing import TypedDict

import charset_normalizer
import ftfy
import lxml.etree
import lxml.html
from charset_normalizer.utils import is_multi_byte_encoding
from w3lib.encoding import html_to_unicode

logger = logging.getLogger(__name__)

#: Elements whose content is never shown to a reader.
INVISIBLE_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "meta",
        "link",
        "svg",
        "iframe",
        "object",
        "embed",
        "canvas",
        "map",
    }
)
#: Hint attributes kept per node (the model hashes them; the matcher and rules read them).
HINT_ATTRIBUTES = ("class", "id", "itemprop", "aria-label")
#: Pages larger than this are cut before parsing (the cut is logged, never silent).
MAX_HTML_CHARS = 8_000_000
#: A hint value longer than this is cut: utility-class soup carries no more signal past it.
MAX_HINT_CHARS = 200

#: Declared encodings that UTF-8 bytes are mislabelled as (Python codec names: `codecs.lookup`
#: maps every alias, and w3lib's "iso8859-15", to one of these).
LATIN_ENCODINGS = frozenset({"cp1252", "iso8859-1", "iso8859-15"})
#: What UTF-8 continuation bytes (0x80-0xBF) become when read in one of those encodings.
_CONTINUATIONS = "".join(
    sorted({bytes([b]).decode(e, "ignore") for b in range(0x80, 0xC0) for e in LATIN_ENCODINGS})
)
#: Mojibake of UTF-8 read as Latin-1/cp1252/ISO-8859-15 always holds a lead byte's character
#: (Â-ô) before a continuation byte's, or a C1 control; correct text almost never does. Only text
#: with one goes to the (slower) repair.
_MOJIBAKE_HINT = re.compile(f"[\xc2-\xf4][{re.escape(_CONTINUATIONS)}]|[\x80-\x9f]")
#: ISO-8859-15's own characters for continuation bytes, which ftfy's code pages lack ("fÃŒr").
_LATIN9_MOJIBAKE = re.compile("[\xc2-\xf4][\u20ac\u0160\u0161\u017d\u017e\u0152\u0153\u0178]")

_WS = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


class PageError(ValueError):
    """A page that cannot be turned into text nodes (empty, not HTML)."""


#: Structural hints of the element that holds a text node (HTML attribute names as keys).
NodeAttrs = TypedDict("NodeAttrs", {"class": str, "id": str, "itemprop": str, "aria-label": str})


class Node(TypedDict):
    """One visible text node: where it is, what it says, and its element's hints."""

    xpath: str
    text: str
    tag: str
    attrs: NodeAttrs


def decode_html(body: bytes | str, content_type: str | None = None) -> str:
    """Decode page bytes with the encoding the HTTP header, BOM or meta tag declares, else the
    one they are written in (`sniff_encoding`)."""
    if isinstance(body, str):
        return body
    return sniff_encoding(body, content_type)[1]


def sniff_encoding(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(encoding, text) of page bytes, by Scrapy's rules (w3lib: BOM, HTTP header, `<meta>`),
    then, for a page that declares nothing, UTF-8 when the bytes are UTF-8, else a multi-byte
    encoding charset-normalizer finds (Shift-JIS, GB18030...), else windows-1252
    (`_detect_encoding`).

    The text is a lossless decoding of the bytes: `text.encode(encoding)` gives the raw bytes
    back (after a BOM). Only a page whose declared encoding is right but for a few stray bytes
    gets U+FFFD for those bytes, with a warning, as a browser shows it; a page whose declared
    encoding is wrong is read as UTF-8, windows-1252 or Latin-1, the first that reads every byte.
    Pages saved as UTF-8 that kept an old Latin-1 declaration are read as UTF-8.
    """
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect_encoding)
    codec = _codec_name(encoding)
    # Pages saved by tools that re-encode to UTF-8 keep their old Latin-1 declaration; bytes that
    # are valid UTF-8 with non-ASCII characters are practically never meant as Latin-1.
    if codec in LATIN_ENCODINGS and not body.isascii() and _decodes(body, "utf-8"):
        return "utf-8", body.decode("utf-8").lstrip("\ufeff")
    if "\ufffd" not in text or _decodes(_without_bom(body), codec):
        return encoding, text
    # The declared encoding is wrong. A few stray bytes in a page that it reads: replaced, as a
    # browser does; a page written in another encoding: the first that reads every byte.
    replaced = text.count("\ufffd")
    if replaced > max(3, sum(1 for b in body if b > 0x7F) // 100):
        for candidate in ("utf-8", "cp1252", "latin-1"):
            if _decodes(body, candidate):
                logger.info("page declared %s but is written in %s", encoding, candidate)
                return candidate, body.decode(candidate).lstrip("\ufeff")
    logger.warning("%d bytes that %s cannot read were replaced with U+FFFD", replaced, encoding)
    return encoding, text


#: Bytes of a page that the encoding detector reads (it is slow on megabytes).
DETECT_BYTES = 200_000


def _detect_encoding(body: bytes) -> str | None:
    """The encoding of bytes that declare none: UTF-8 (or ASCII) when they decode as such; a
    multi-byte encoding (Shift-JIS, GB18030, EUC-KR, Big5...) when charset-normalizer finds one
    that decodes them all; else windows-1252, as browsers read an undeclared Western page
    (the detector's guesses among single-byte encodings are unreliable: French comes out as
    windows-1250), else the single-byte encoding it found, else Latin-1, which reads any byte."""
    if _decodes(body, "utf-8"):
        return "utf-8"
    match = charset_normalizer.from_bytes(body[:DETECT_BYTES]).best()
    found = str(match.encoding) if match is not None else None
    if found and is_multi_byte_encoding(found) and _decodes(body, found):
        return found
    if _decodes(body, "cp1252"):
        return "cp1252"
    return found if found and _decodes(body, found) else "latin-1"


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _without_bom(body: bytes) -> bytes:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if body.startswith(bom):
            return body[len(bom) :]
    return body


#: What a file that is not HTML (an image, an archive, a PDF) starts with.
BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\x7fELF",
)


def binary_kind(body: bytes) -> str | None:
    """Why bytes are not an HTML page (a known binary format, NUL bytes in text that is not
    UTF-16), or None when they can be one."""
    head = body[:4096]
    if head.startswith(BINARY_MAGIC):
        return "a binary file (image, archive, PDF or program)"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "a binary file (NUL bytes)"
    return None


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding.lower()


def repair_text(text: str) -> str:
    """Undo mojibake: UTF-8 text that was decoded as Latin-1, cp1252 or ISO-8859-15, once or more.

    "weiÃ\x9f" becomes "weiß", "â\x82¬210" "€210", "178Â°" "178°"; correct text in any language
    comes back unchanged. Text without a mojibake character pair (nearly all) costs one regex
    search; the rest goes to ftfy, which also fixes a part of a text in which correct characters
    and mojibake mix, and only where the result looks less like mojibake than the input.
    """
    if text.isascii() or not _MOJIBAKE_HINT.search(text):
        return text
    fixed = ftfy.fix_encoding(text)
    if fixed == text and _LATIN9_MOJIBAKE.search(text):
        # The whole text is UTF-8 read as ISO-8859-15, or it stays as it is.
        with contextlib.suppress(UnicodeError):
            fixed = text.encode("iso8859-15").decode("utf-8")
    return fixed


def parse_html(body: bytes | str, content_type: str | None = None) -> lxml.html.HtmlElement:
    """Parse any HTML (malformed, huge, any encoding) into an lxml document root."""
    text = decode_html(body, content_type)
    if len(text) > MAX_HTML_CHARS:
        logger.warning("page of %d characters cut to %d before parsing", len(text), MAX_HTML_CHARS)
        text = text[:MAX_HTML_CHARS]
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        raise PageError("empty page: no HTML to parse")
    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
        if any("Excessive depth" in error.message for error in parser.error_log):
            # libxml2 stops at 2048 levels and drops the rest of the page (footer included):
            # parse it again with the elements beyond MAX_DEPTH left out, their text kept.
            logger.warning(
                "page nested deeper than libxml2 reads: elements deeper than %d flattened",
                MAX_DEPTH,
            )
            root = lxml.html.document_fromstring(flatten_nesting(text), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise PageError(f"not parseable as HTML: {exc}") from exc
    return root


#: Elements deeper than this are left out by `flatten_nesting` (their text is kept).
MAX_DEPTH = 1000
#: An HTML start or end tag (its slash and its name in groups 1 and 2).
HTML_TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)[^>]*>")
#: Elements that never have a closing tag.
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)


def flatten_nesting(text: str, max_depth: int = MAX_DEPTH) -> str:
    """The HTML with the start and end tags of elements nested deeper than `max_depth` taken
    out: their text stays, in order, inside the element at that depth."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, kept)
    open_tags: dict[str, int] = {}  # tag -> how many are on the stack
    last = 0
    for match in HTML_TAG.finditer(text):
        closing, name = match.group(1) == "/", match.group(2).lower()
        keep = True
        if closing:
            if open_tags.get(name):  # close it, and what is left open inside it
                while stack:
                    tag, kept = stack.pop()
                    open_tags[tag] -= 1
                    if tag == name:
                        keep = kept
                        break
        elif name not in VOID_TAGS and not match.group(0).endswith("/>"):
            keep = len(stack) < max_depth
            stack.append((name, keep))
            open_tags[name] = open_tags.get(name, 0) + 1
        if not keep:
            out.append(text[last : match.start()])
            last = match.end()
    out.append(text[last:])
    return "".join(out)


def clean_text(text: str) -> str:
    """Collapse whitespace the way a browser shows it."""
    return _WS.sub(" ", text).strip()


def is_hidden(element: lxml.html.HtmlElement) -> bool:
    """Whether the element is invisible by tag, `hidden` attribute or inline style."""
    tag = element.tag
    if not isinstance(tag, str) or tag.lower() in INVISIBLE_TAGS:
        return True
    if not element.attrib:  # most elements: nothing more to read
        return False
    if element.get("hidden") is not None:
        return True
    if element.get("type", "").lower() == "hidden":
        return True
    style = element.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _attrs(element: lxml.html.HtmlElement) -> NodeAttrs:
    attrs: dict[str, str] = {}
    for name in HINT_ATTRIBUTES:
        value = element.get(name)
        attrs[name] = clean_text(value)[:MAX_HINT_CHARS] if value else ""
    return attrs  # type: ignore[return-value]


def iter_text_nodes(root: lxml.html.HtmlElement) -> Iterator[Node]:
    """Yield every visible, non-empty text node in document order.

    A node's XPath is its element's (as `tree.getpath` writes it), with `/text()[k]` appended when
    the element holds more than one text segment, so that every node has an XPath of its own.
    XPaths are built while walking: `getpath` per element is quadratic in the number of siblings.
    """
    body = root.find("body")
    start = body if body is not None else root
    stack: list[Node | tuple[lxml.html.HtmlElement, str]] = [
        (start, start.getroottree().getpath(start))
    ]
    # Iterative walk (real pages nest deeper than Python's recursion limit): the stack holds
    # elements still to expand and text nodes ready to emit, in reverse document order.
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            continue
        element, path = item
        if is_hidden(element):
            continue
        if not len(element):  # a leaf (most elements): its own text, if any, is one node
            segment = element.text
            if segment and not segment.isspace():
                yield Node(
                    xpath=path,
                    text=clean_text(repair_text(segment)),
                    tag=element.tag.lower(),
                    attrs=_attrs(element),
                )
            continue
        children = list(element)
        totals: dict[str, int] = {}  # element children per tag: `div` or `div[2]` in XPaths
        for child in children:
            if isinstance(child.tag, str):
                totals[child.tag] = totals.get(child.tag, 0) + 1
        segments = [element.text, *(child.tail for child in children)]
        many = sum(1 for s in segments if s and not s.isspace()) > 1
        tag = element.tag.lower()
        attrs: NodeAttrs | None = None  # read once, for the element's first text segment
        seen: dict[str, int] = {}
        items: list[Node | tuple[lxml.html.HtmlElement, str]] = []
        k = 0  # XPath's text() index counts every text segment, blank ones too.
        for i, segment in enumerate(segments):
            if segment is not None:
                k += 1
                if segment and not segment.isspace():
                    xpath = f"{path}/text()[{k}]" if many else path
                    text = clean_text(repair_text(segment))
                    attrs = _attrs(element) if attrs is None else attrs
                    items.append(Node(xpath=xpath, text=text, tag=tag, attrs=attrs))
            if i < len(children) and isinstance(child_tag := children[i].tag, str):
                seen[child_tag] = seen.get(child_tag, 0) + 1
                child_path = f"{path}/{child_tag}"
                if totals[child_tag] > 1:
                    child_path += f"[{seen[child_tag]}]"
                items.append((children[i], child_path))
        stack.extend(reversed(items))


def text_nodes(body: bytes | str, content_type: str | None = None) -> list[Node]:
    """Parse a page and return its visible text nodes in document order."""
    return list(iter_text_nodes(parse_html(body, content_type)))
