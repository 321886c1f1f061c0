"""Store annotations: `data/<store>/annotations.jsonl`, read, written atomically, built from values.

One JSON line per annotated page: `{"url": URL, "spans": {attribute: [{xpath, start, end, text}]}}`
(spans on the page's text nodes as stored in the page dataset). A values file (JSON Lines of
`{"file" or "url", "labels": {attribute: value or [values]}}`) becomes annotations through the
value matcher, which reports per attribute what it could not find instead of guessing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.data.atomic import write_text_atomic
from extractor.data.jsonl import read_objects
from extractor.page.dom import PageError, parse_html
from extractor.values.matching import match_values

logger = logging.getLogger(__name__)

ANNOTATIONS_FILE = "annotations.jsonl"
Annotation = dict[str, Any]


class AnnotationError(ValueError):
    """An annotations or values file that cannot be used (bad JSON, a page not in the store)."""


@dataclass
class ValuesReport:
    """What building annotations from values found: per attribute, pages found and missing."""

    found: dict[str, int] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)  #: attribute -> "url: why"

    def lines(self) -> list[str]:
        """A human-readable summary, one line per attribute."""
        out = []
        for name in sorted(set(self.found) | set(self.missing)):
            missed = self.missing.get(name, [])
            line = f"{name}: found on {self.found.get(name, 0)} pages"
            if missed:
                line += f", not found on {len(missed)}: " + "; ".join(missed[:3])
            out.append(line)
        return out


def _read_jsonl(path: Path, kind: str) -> list[dict[str, Any]]:
    if not path.exists():
        raise FileNotFoundError(f"{kind} file {path} does not exist")
    return [entry | {"_line": number} for number, entry in read_objects(path, AnnotationError)]


def find_page(urls: Sequence[str], entry: Mapping[str, Any]) -> int | None:
    """The index of the page an entry names by `url`, or by `file` (a URL or a URL's path end)."""
    url, file = entry.get("url"), entry.get("file")
    if url and url in urls:
        return urls.index(url)
    if file:
        file = str(file).lstrip("./")
        for i, candidate in enumerate(urls):
            if candidate == file or candidate.endswith("/" + file):
                return i
    return None


def annotations_from_values(
    values_file: Path, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[Annotation], ValuesReport]:
    """Annotations of the pages a values file names (rows: page-dataset rows of the store)."""
    urls = [str(row["url"]) for row in rows]
    report = ValuesReport()
    annotations: list[Annotation] = []
    named: dict[int, int] = {}  # page index -> line
    for entry in _read_jsonl(values_file, "values"):
        labels = entry.get("labels")
        if not isinstance(labels, dict):
            raise AnnotationError(f"{values_file}:{entry['_line']}: no `labels` object")
        index = find_page(urls, entry)
        if index is None:
            name = entry.get("url") or entry.get("file")
            raise AnnotationError(
                f"{values_file}:{entry['_line']}: page {name!r} is not in the store's page dataset"
            )
        if index in named:
            raise AnnotationError(
                f"{values_file}:{entry['_line']}: page {urls[index]} is named twice (also on "
                f"line {named[index]}); give each page's values on one line"
            )
        named[index] = entry["_line"]
        row = rows[index]
        try:
            root = parse_html(row["html"]) if row.get("html") else None
        except PageError:
            root = None
        result = match_values(list(row["nodes"]), labels, urls[index], root=root)
        for name in labels:
            if result.spans.get(name):
                report.found[name] = report.found.get(name, 0) + 1
            elif name in result.missing or not result.found(name):
                why = result.missing.get(name, "not shown as text")
                report.missing.setdefault(name, []).append(f"{urls[index]}: {why}")
        spans = {name: list(items) for name, items in result.spans.items() if items}
        images = {name: list(items) for name, items in result.images.items() if items}
        annotation: Annotation = {"url": urls[index], "spans": spans, "values": dict(labels)}
        if images:
            annotation["images"] = images
        annotations.append(annotation)
    if not annotations:
        raise AnnotationError(f"{values_file} names no pages")
    return annotations, report


def read_annotations(path: Path) -> list[Annotation]:
    """The annotations of a store: per page `url`, `spans` (`{attribute: [span]}`), and, when
    they were made from values, `values` and `images` (`{attribute: [{xpath, url}]}`); every
    line checked for its shape (AnnotationError naming the line)."""
    entries = _read_jsonl(path, "annotations")
    result = []
    seen: dict[str, int] = {}
    for entry in entries:
        where = f"{path}:{entry['_line']}"
        spans = entry.get("spans")
        if not isinstance(entry.get("url"), str) or not entry["url"] or not isinstance(spans, dict):
            raise AnnotationError(f"{where}: needs `url` and a `spans` object")
        if entry["url"] in seen:
            raise AnnotationError(
                f"{where}: page {entry['url']} is annotated twice (also on line "
                f"{seen[entry['url']]})"
            )
        seen[entry["url"]] = entry["_line"]
        _check_span_shapes(where, spans)
        annotation: Annotation = {"url": entry["url"], "spans": spans}
        for key in ("values", "images"):
            if isinstance(entry.get(key), dict):
                annotation[key] = entry[key]
        result.append(annotation)
    if not result:
        raise AnnotationError(f"{path} holds no annotated pages")
    return result


#: What a span holds: `{xpath, start, end, text}` (and `item`, the value a list item is of).
SPAN_SHAPE = "{xpath: string, start: int, end: int, text: string}"


def _check_span_shapes(where: str, spans: Mapping[str, Any]) -> None:
    for name, items in spans.items():
        if not name or name.startswith(("B-", "I-")) or name == "O":
            raise AnnotationError(f"{where}: {name!r} is not an attribute name")
        if not isinstance(items, list):
            raise AnnotationError(f"{where}: `{name}` must be a list of spans {SPAN_SHAPE}")
        for span in items:
            ok = (
                isinstance(span, dict)
                and isinstance(span.get("xpath"), str)
                and all(_is_int(span.get(key)) for key in ("start", "end"))
                and isinstance(span.get("text", ""), str)
            )
            if not ok or span["start"] < 0 or span["end"] <= span["start"]:
                raise AnnotationError(
                    f"{where}: a span of `{name}` is not {SPAN_SHAPE} with 0 <= start < end: "
                    f"{json.dumps(span, ensure_ascii=False)[:200]}"
                )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_spans(
    annotations: Sequence[Annotation], rows_by_url: Mapping[str, Mapping[str, Any]], source: Path
) -> int:
    """Check that every span lies on its page's stored text nodes (an XPath the page has, offsets
    inside the node's text, the text it marks); the number of spans. AnnotationError names the
    page and the attribute: annotations of a page that changed since must be made again."""
    total = 0
    for annotation in annotations:
        url = annotation["url"]
        row = rows_by_url.get(url)
        if row is None:
            raise AnnotationError(f"{source}: page {url} is not in the store's page dataset")
        texts = {str(node["xpath"]): str(node["text"]) for node in row["nodes"]}
        for name, items in annotation["spans"].items():
            for span in items:
                text = texts.get(span["xpath"])
                if text is None:
                    problem = f"its node {span['xpath']} is not on the page"
                elif span["end"] > len(text):
                    problem = f"it ends at {span['end']}, past its node's {len(text)} characters"
                elif "text" in span and text[span["start"] : span["end"]] != span["text"]:
                    problem = f"the page shows {text[span['start'] : span['end']]!r} there"
                else:
                    total += 1
                    continue
                raise AnnotationError(
                    f"{source}: the span of `{name}` {span.get('text', '')!r} on {url} does not "
                    f"fit the stored page: {problem}; annotate the page again"
                )
    return total


def write_annotations(path: Path, annotations: Sequence[Annotation]) -> Path:
    """Write annotations.jsonl atomically (a temporary file, then rename)."""
    lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in annotations)
    return write_text_atomic(path, lines)
