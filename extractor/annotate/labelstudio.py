"""Label Studio interop: a store's pages as Label Studio tasks (its JSON task format, HyperText
with HyperTextLabels), and Label Studio's annotations back into annotations.jsonl.

A task's `data.html` is the page's body made safe (`render.render_fragment`): every stored text
node is one `<span data-sw-node>` holding exactly its text, so that a Label Studio region (an
XPath to a text node within `data.html` and character offsets) maps back to a stored node and
offsets in it. Each marked span is one region; a list item's number rides in the region's
`meta.item`. Label Studio marks no images inside HyperText: a page's marked images (and its
annotation as exported) travel in `data.shopwright` and come back as they were. An attribute
whose regions come back unchanged keeps its annotation verbatim (values made from a values file
included); a changed one is made again from its regions.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import lxml.etree
import lxml.html

from extractor.annotate.attributes import list_attributes
from extractor.annotate.edits import PageTargets, apply_edits
from extractor.annotate.render import render_fragment
from extractor.annotate.session import Session
from extractor.annotate.suggest import TARGET_PAGES
from extractor.data.annotations import Annotation, AnnotationError
from extractor.data.atomic import write_text_atomic

#: The names the labelling config gives its controls (`from_name`, `to_name`).
FROM_NAME = "label"
TO_NAME = "html"
#: Keys Label Studio (and older exports) use for a HyperText region's labels.
LABEL_KEYS = ("htmllabels", "hypertextlabels", "hyperTextLabels", "labels")


def label_config(attributes: Sequence[str]) -> str:
    """The Label Studio labelling config for a store's attributes."""
    labels = "\n".join(f"    <Label value={quoteattr(name)}/>" for name in attributes)
    return (
        "<View>\n"
        f'  <HyperTextLabels name="{FROM_NAME}" toName="{TO_NAME}">\n{labels}\n'
        "  </HyperTextLabels>\n"
        f'  <HyperText name="{TO_NAME}" value="$html" valueType="text"/>\n'
        "</View>\n"
    )


def _fragment(session: Session, index: int) -> tuple[lxml.html.HtmlElement, dict[str, str]]:
    """The page's fragment as a tree, and each stored node's XPath -> its XPath in the tree."""
    rendered = render_fragment(session.pages.row(index))
    # a tree of its own (the parser puts a fragment under html/body): XPaths start at its div
    root = copy.deepcopy(lxml.html.fragment_fromstring(rendered.html))
    nodes = session.pages.meta[index]["nodes"]
    paths = {}
    for span in root.iter("span"):
        number = span.get("data-sw-node")
        if number is not None and span.text:
            paths[str(nodes[int(number)]["xpath"])] = _indexed_path(span) + "/text()[1]"
    return root, paths


def _indexed_path(element: lxml.html.HtmlElement) -> str:
    """An XPath with an index at every step (`/div[1]/p[2]/span[1]`), as Label Studio writes."""
    steps = []
    node: Any = element
    while node is not None:
        parent = node.getparent()
        if parent is None:
            steps.append(f"{node.tag}[1]")
        else:
            same = [c for c in parent if c.tag == node.tag]
            steps.append(f"{node.tag}[{same.index(node) + 1}]")
        node = parent
    return "/" + "/".join(reversed(steps))


def export_tasks(session: Session, path: Path, extra: int = TARGET_PAGES) -> dict[str, int]:
    """Write Label Studio tasks: every annotated page with its annotation, and `extra` pages
    suggested next without one; the labelling config beside it (`<file>.xml`). Counts."""
    _, annotations = session.annotations.snapshot()
    by_url = {a["url"]: a for a in annotations}
    annotated = [session.pages.index[u] for u in by_url if u in session.pages.index]
    state = session.state()
    suggested = [s["index"] for s in state["suggestions"] if s["index"] not in annotated]
    tasks = []
    for index in [*annotated, *suggested[:extra]]:
        url = session.pages.urls[index]
        root, paths = _fragment(session, index)
        annotation = by_url.get(url)
        task: dict[str, Any] = {
            "id": index + 1,
            "data": {
                "html": lxml.html.tostring(root, encoding="unicode"),
                "url": url,
                "shopwright": {
                    "store": session.store.name,
                    "page": index,
                    "annotation": annotation,
                },
            },
        }
        if annotation is not None:
            task["annotations"] = [{"result": _regions(annotation, paths), "ground_truth": False}]
        tasks.append(task)
    write_text_atomic(path, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    names = [a["name"] for a in state["attributes"]]
    write_text_atomic(Path(f"{path}.xml"), label_config(names))
    return {"tasks": len(tasks), "annotated": len(annotated)}


def _regions(annotation: Annotation, paths: Mapping[str, str]) -> list[dict[str, Any]]:
    regions: list[dict[str, Any]] = []
    for name, spans in (annotation.get("spans") or {}).items():
        for span in spans:
            where = paths.get(span["xpath"])
            if where is None:  # a node the page no longer shows: it stays in data.shopwright
                continue
            region: dict[str, Any] = {
                "id": f"sw{len(regions)}",
                "from_name": FROM_NAME,
                "to_name": TO_NAME,
                "type": "hypertextlabels",
                "value": {
                    "start": where,
                    "end": where,
                    "startOffset": span["start"],
                    "endOffset": span["end"],
                    "text": span.get("text", ""),
                    "htmllabels": [name],
                },
            }
            if "item" in span:
                region["meta"] = {"item": span["item"]}
            regions.append(region)
    return regions


def import_tasks(session: Session, path: Path) -> dict[str, int]:
    """Read a Label Studio JSON export (tasks with annotations) into the store's annotations;
    counts. AnnotationError names the task that does not fit the store."""
    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise AnnotationError(f"{path}: not a Label Studio JSON export ({exc})") from None
    if not isinstance(tasks, list):
        raise AnnotationError(f"{path}: a Label Studio JSON export is a list of tasks")
    lists = list_attributes(session.attributes())
    imported: list[Annotation] = []
    for number, task in enumerate(tasks, 1):
        where = f"{path}: task {number}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise AnnotationError(f"{where}: not a task with `data`")
        result = _latest_result(task)
        if result is None:
            continue
        url = task["data"].get("url")
        if url not in session.pages.index:
            raise AnnotationError(f"{where}: page {url!r} is not in store {session.store.name!r}")
        exported = (task["data"].get("shopwright") or {}).get("annotation")
        annotation = _annotation(session, session.pages.index[url], result, exported, lists, where)
        if annotation is not None:
            imported.append(annotation)
    session.annotations.replace(imported)
    return {"tasks": len(tasks), "imported": len(imported)}


def _latest_result(task: Mapping[str, Any]) -> list[Any] | None:
    """The result of the task's latest annotation that was not cancelled."""
    kept = [
        a
        for a in task.get("annotations") or []
        if isinstance(a, dict) and not a.get("was_cancelled") and isinstance(a.get("result"), list)
    ]
    if not kept:
        return None
    kept.sort(key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))
    return list(kept[-1]["result"])


def _annotation(
    session: Session,
    index: int,
    result: Sequence[Any],
    exported: Mapping[str, Any] | None,
    lists: set[str],
    where: str,
) -> Annotation | None:
    """The page's annotation from Label Studio regions (None when nothing is marked)."""
    root, paths = _fragment(session, index)
    tree = root.getroottree()
    texts_by_path = {p: x for x, p in paths.items()}
    nodes = {str(n["xpath"]): str(n["text"]) for n in session.pages.meta[index]["nodes"]}
    marked: dict[str, list[dict[str, Any]]] = {}
    for region in result:
        value = region.get("value") if isinstance(region, dict) else None
        if not isinstance(value, dict) or region.get("type") not in ("hypertextlabels", None):
            continue
        names: list[Any] = next(
            (value[k] for k in LABEL_KEYS if isinstance(value.get(k), list)), []
        )
        spans = _region_spans(value, tree, texts_by_path, nodes, where)
        item = (region.get("meta") or {}).get("item")
        for name in names:
            marked.setdefault(str(name), []).extend(
                {**s, "item": item} if isinstance(item, int) else s for s in spans
            )
    exported = dict(exported or {})
    old_spans: dict[str, list[dict[str, Any]]] = exported.get("spans") or {}
    targets = PageTargets(url=session.pages.urls[index], texts=nodes, images={})
    rebuilt = apply_edits(None, targets, _ops(marked, lists), lists) if marked else None
    annotation: Annotation = {"url": targets.url, "spans": {}}
    values: dict[str, Any] = {}
    for name in dict.fromkeys([*marked, *old_spans]):
        if _same(marked.get(name, []), old_spans.get(name, [])):
            if old_spans.get(name):
                annotation["spans"][name] = old_spans[name]
                if name in (exported.get("values") or {}):
                    values[name] = exported["values"][name]
        elif rebuilt is not None and name in rebuilt["spans"]:
            annotation["spans"][name] = rebuilt["spans"][name]
            values[name] = rebuilt["values"][name]
    for name, value in (exported.get("values") or {}).items():
        if name not in annotation["spans"] and name not in old_spans:
            values[name] = value  # a value file's value the page does not show as text
    if values:
        annotation["values"] = values
    if exported.get("images"):
        annotation["images"] = exported["images"]
    if not annotation["spans"] and not annotation.get("images"):
        return None
    return annotation


def _ops(marked: Mapping[str, list[dict[str, Any]]], lists: set[str]) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    for name, spans in marked.items():
        plain = [{"xpath": s["xpath"], "start": s["start"], "end": s["end"]} for s in spans]
        if name in lists or any("item" in s for s in spans):
            groups: dict[Any, list[dict[str, Any]]] = {}
            for number, (span, bare) in enumerate(zip(spans, plain, strict=True)):
                groups.setdefault(span.get("item", f"region{number}"), []).append(bare)
            ops.extend({"op": "add", "attribute": name, "spans": g} for g in groups.values())
        else:
            ops.append({"op": "set", "attribute": name, "spans": plain})
    return ops


def _same(new: Sequence[Mapping[str, Any]], old: Sequence[Mapping[str, Any]]) -> bool:
    def key(span: Mapping[str, Any]) -> tuple[Any, ...]:
        return (span["xpath"], span["start"], span["end"], span.get("item"))

    return sorted(map(key, new)) == sorted(map(key, old))


def _region_spans(
    value: Mapping[str, Any],
    tree: Any,
    texts_by_path: Mapping[str, str],
    nodes: Mapping[str, str],
    where: str,
) -> list[dict[str, Any]]:
    """The stored-node spans a region covers: its start node from `startOffset`, the nodes
    between whole, its end node up to `endOffset`."""
    start, end = str(value.get("start", "")), str(value.get("end", ""))
    first, last = _node_of(tree, start, texts_by_path), _node_of(tree, end, texts_by_path)
    if first is None or last is None:
        raise AnnotationError(
            f"{where}: a region {value.get('text', '')!r} does not start and end in the page's "
            f"text ({start} .. {end})"
        )
    order = list(nodes)
    a, b = order.index(first), order.index(last)
    spans = []
    for position in range(a, b + 1):
        xpath = order[position]
        text = nodes[xpath]
        lo = int(value.get("startOffset", 0)) if position == a else 0
        hi = int(value.get("endOffset", len(text))) if position == b else len(text)
        if 0 <= lo < hi <= len(text):
            spans.append({"xpath": xpath, "start": lo, "end": hi})
    return spans


def _node_of(tree: Any, path: str, texts_by_path: Mapping[str, str]) -> str | None:
    """The stored node's XPath whose `<span data-sw-node>` holds the region's end point."""
    if path in texts_by_path:
        return texts_by_path[path]
    try:
        hits = tree.xpath(path) if path.startswith("/") else []
    except lxml.etree.XPathError:
        return None
    hit = hits[0] if hits else None
    element = hit.getparent() if isinstance(hit, str) else hit  # type: ignore[attr-defined]
    while element is not None and getattr(element, "get", None) is not None:
        if element.get("data-sw-node") is not None:
            own = _indexed_path(element) + "/text()[1]"
            return texts_by_path.get(own)
        element = element.getparent()
    return None
