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
    if not path.is_file():
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
    they were made from values, `values` and `images` (`{attribute: [{xpath, url}]}`)."""
    entries = _read_jsonl(path, "annotations")
    result = []
    for entry in entries:
        spans = entry.get("spans")
        if not entry.get("url") or not isinstance(spans, dict):
            raise AnnotationError(f"{path}:{entry['_line']}: needs `url` and a `spans` object")
        annotation: Annotation = {"url": entry["url"], "spans": spans}
        for key in ("values", "images"):
            if isinstance(entry.get(key), dict):
                annotation[key] = entry[key]
        result.append(annotation)
    if not result:
        raise AnnotationError(f"{path} holds no annotated pages")
    return result


def write_annotations(path: Path, annotations: Sequence[Annotation]) -> Path:
    """Write annotations.jsonl atomically (a temporary file, then rename)."""
    lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in annotations)
    return write_text_atomic(path, lines)
