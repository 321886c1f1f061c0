"""A stored page made safe to show: nothing in it runs, nothing is fetched, every node marked.

A crawled page is untrusted input. Its HTML is parsed as the page dataset parsed it; each stored
text node (`extractor.page.dom`: its XPath and text) is wrapped in `<span data-sw-node="i">`
holding exactly the node's text, so that a click or a selection in the browser maps to the node
and to character offsets in its text; each image becomes a local placeholder
(`data-sw-image="j"`) that can be clicked. Then every script, event handler, `javascript:` link,
form action, frame, embedded object, remote resource and CSS fetch is removed, and the page is
served with a Content-Security-Policy that blocks what might remain (`FRAME_CSP`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import lxml.etree
import lxml.html

from extractor.page.dom import Node, PageError, clean_text, parse_html, repair_text
from extractor.values.matching import ImageMatch, image_candidates

#: The policy of a page's frame: no script, no connection, no remote image, font or style sheet.
FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox allow-same-origin"
)
#: Elements removed with their content: they run code, embed other documents or fetch things.
DROPPED_TAGS = frozenset(
    {
        "script",
        "noscript",
        "template",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "param",
        "base",
        "link",
        "meta",
        "portal",
        "audio",
        "video",
        "source",
        "track",
    }
)
#: Attributes that name something to fetch or to navigate to (local names, lower case).
URL_ATTRIBUTES = frozenset(
    {
        "src",
        "srcset",
        "srcdoc",
        "href",
        "action",
        "formaction",
        "poster",
        "background",
        "ping",
        "lowsrc",
        "dynsrc",
        "longdesc",
        "manifest",
        "codebase",
        "archive",
        "data",
        "cite",
        "usemap",
        "http-equiv",
        "autofocus",
        "contenteditable",
    }
)
#: CSS that fetches or runs something; a match is defused (the declaration becomes invalid).
_CSS_FETCH = re.compile(
    r"(?<![\w-])(?:url|image-set|-webkit-image-set|image|cross-fade|expression|element)\s*\("
    r"|@import|behavior\s*:|-moz-binding",
    re.I,
)
#: A picture frame shown in place of each image (the page's images are never fetched).
PLACEHOLDER = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="90" viewBox="0 0 120 90">'
    '<rect width="120" height="90" fill="#e9ecef" stroke="#adb5bd"/>'
    '<path d="M20 70l25-30 18 20 12-12 25 22z" fill="#adb5bd"/>'
    '<circle cx="85" cy="28" r="9" fill="#adb5bd"/></svg>',
    safe="",
)
#: How marked nodes, marks and images look inside the frame.
FRAME_STYLE = """
[data-sw-node]{cursor:text;border-radius:2px}
[data-sw-node]:hover{outline:1px dotted #1a73e8}
[data-sw-node].sw-picked,img.sw-picked{outline:2px solid #1a73e8;outline-offset:1px}
mark.sw-mark{background:var(--sw-color);color:inherit;border-radius:2px;padding:0}
mark.sw-pre{background:transparent;color:inherit;outline:2px dashed var(--sw-color);
  outline-offset:-1px}
img[data-sw-image]{cursor:pointer;min-width:24px;min-height:18px;object-fit:contain}
img[data-sw-image].sw-image-marked{outline:3px solid var(--sw-color)}
img[data-sw-image].sw-image-pre{outline:3px dashed var(--sw-color)}
"""


@dataclass
class RenderedPage:
    """A page ready for the annotator's frame, and what of it can be marked."""

    html: str
    marked: list[int] = field(default_factory=list)  #: indexes of the stored nodes shown
    images: list[ImageMatch] = field(default_factory=list)  #: `data-sw-image` j is images[j]
    error: str | None = None  #: why the page cannot be shown (then `html` says it)


def render_page(row: Mapping[str, Any]) -> RenderedPage:
    """The page-dataset row's HTML, safe and marked, as a whole document for the frame."""
    try:
        root, marked, images = _marked_root(row)
    except PageError as exc:
        return unshowable(str(exc))
    head = root.find("head")
    if head is None:
        head = lxml.html.Element("head")
        root.insert(0, head)
    for element in reversed(_frame_head()):
        head.insert(0, element)
    html = lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    return RenderedPage(html=html, marked=marked, images=images)


def render_fragment(row: Mapping[str, Any]) -> RenderedPage:
    """The page's body, safe and marked, as one `<div>` without style sheets (Label Studio's
    HyperText shows it inside its own page)."""
    root, marked, images = _marked_root(row)
    for style in list(root.iter("style")):
        style.drop_tree()
    body = root.find("body")
    container = lxml.html.Element("div")
    source = body if body is not None else root
    container.text = source.text
    for child in list(source):
        container.append(child)
    return RenderedPage(lxml.html.tostring(container, encoding="unicode"), marked, images)


def unshowable(reason: str) -> RenderedPage:
    """A frame document that says why a page cannot be shown."""
    text = lxml.html.Element("p")
    text.text = f"This page cannot be shown: {reason}"
    text.set("style", "font:16px sans-serif;color:#842029;padding:1em")
    return RenderedPage(html=lxml.html.tostring(text, encoding="unicode"), error=reason)


def _frame_head() -> list[lxml.html.HtmlElement]:
    charset = lxml.html.Element("meta", charset="utf-8")
    policy = lxml.html.Element("meta")
    policy.set("http-equiv", "Content-Security-Policy")
    # a <meta> policy too, for a frame saved to disk; frame-ancestors and sandbox are header-only
    meta_csp = "; ".join(
        d for d in FRAME_CSP.split("; ") if not d.startswith(("frame-ancestors", "sandbox"))
    )
    policy.set("content", meta_csp)
    style = lxml.html.Element("style", id="sw-style")
    style.text = FRAME_STYLE
    return [charset, policy, style]


def _marked_root(
    row: Mapping[str, Any],
) -> tuple[lxml.html.HtmlElement, list[int], list[ImageMatch]]:
    html = row.get("html")
    if not html:
        raise PageError("the page dataset holds no HTML for it")
    root = parse_html(html)
    nodes: Sequence[Node] = row.get("nodes") or []
    targets = _node_targets(root, nodes)
    image_elements = _image_elements(root, str(row.get("url") or ""))
    marked = []
    for index, (owner, is_tail) in targets:
        _wrap(owner, is_tail, str(nodes[index]["text"]), index)
        marked.append(index)
    sanitize(root)
    images: list[ImageMatch] = []
    for element, image in image_elements:
        if element.getroottree().getroot() is not root:  # inside a removed element
            continue
        element.set("data-sw-image", str(len(images)))
        element.set("src", PLACEHOLDER)
        element.set("title", image["url"])
        images.append(image)
    return root, sorted(marked), images


def _node_targets(
    root: lxml.html.HtmlElement, nodes: Sequence[Node]
) -> list[tuple[int, tuple[lxml.html.HtmlElement, bool]]]:
    """Per stored node that this HTML still shows: the element holding its text segment, and
    whether the segment is that element's tail (else its text)."""
    tree = root.getroottree()
    found = []
    for index, node in enumerate(nodes):
        try:
            hits = tree.xpath(str(node["xpath"]))
        except lxml.etree.XPathError:
            continue
        if not hits:
            continue
        target = _segment(hits[0])
        if target is None:
            continue
        owner, is_tail = target
        segment = owner.tail if is_tail else owner.text
        if segment is not None and clean_text(repair_text(segment)) == node["text"]:
            found.append((index, target))
    return found


def _segment(hit: Any) -> tuple[lxml.html.HtmlElement, bool] | None:
    """The (owner, is_tail) of an XPath hit: a text() result, or an element whose one non-blank
    text segment is the node (`iter_text_nodes` leaves text() off then)."""
    if isinstance(hit, str):
        owner = hit.getparent()  # type: ignore[attr-defined]
        return None if owner is None else (owner, bool(hit.is_tail))  # type: ignore[attr-defined]
    if not isinstance(hit, lxml.html.HtmlElement):
        return None
    if hit.text and hit.text.strip():
        return hit, False
    for child in hit:
        if child.tail and child.tail.strip():
            return child, True
    return None


def _wrap(owner: lxml.html.HtmlElement, is_tail: bool, text: str, index: int) -> None:
    segment = (owner.tail if is_tail else owner.text) or ""
    stripped = segment.strip()
    lead = segment[: len(segment) - len(segment.lstrip())]
    trail = segment[len(segment.rstrip()) :] if stripped else ""
    span = lxml.html.Element("span")
    span.set("data-sw-node", str(index))
    span.text = text
    if is_tail:
        owner.tail = lead
        parent = owner.getparent()
        parent.insert(parent.index(owner) + 1, span)
    else:
        owner.text = lead
        owner.insert(0, span)
    span.tail = trail


def _image_elements(
    root: lxml.html.HtmlElement, url: str
) -> list[tuple[lxml.html.HtmlElement, ImageMatch]]:
    """The page's `<img>` elements with the URL each shows (XPaths of the page as stored, as the
    value matcher gives them), before anything moves."""
    tree = root.getroottree()
    seen: set[str] = set()
    found = []
    for image in image_candidates(root, url or None):
        if image["xpath"] in seen:
            continue
        hits = tree.xpath(image["xpath"])
        if hits and getattr(hits[0], "tag", None) == "img":
            seen.add(image["xpath"])
            found.append((hits[0], image))
    return found


def sanitize(root: lxml.html.HtmlElement) -> None:
    """Remove everything that runs, navigates or fetches, in place."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            element.drop_tree()
            continue
        if element.tag.lower() in DROPPED_TAGS:
            element.drop_tree()
            continue
        for name in list(element.attrib):
            lower = name.lower()
            local = lower.rsplit(":", 1)[-1]
            if lower.startswith("on") or local in URL_ATTRIBUTES:
                value = element.attrib.pop(name)
                unsafe = value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
                if local == "href" and not unsafe:
                    element.set("data-sw-href", value[:500])
            elif lower == "style":
                element.set(name, safe_css(element.get(name) or ""))
        if element.tag.lower() == "style" and element.text:
            element.text = safe_css(element.text)


def safe_css(css: str) -> str:
    """CSS with every fetch (url(), image-set(), @import...) defused, escapes dropped."""
    return _CSS_FETCH.sub(lambda m: "blocked-" + m.group(0).lstrip("@"), css.replace("\\", ""))
