"""Tasks from labels.jsonl folders: stores, store splits, support/query sampling, cached parsing.

A labels file has the format of `../shared/realpages/labels.jsonl` (and of `python -m fixtures
write`): one JSON object per page with `site`, `file` (relative to the labels file's folder),
`url` and `labels` (`{attribute: value or [values]}`); `industry` is used where present, other
keys are ignored. One task = one store (`site`) with its attribute schema.
"""

from __future__ import annotations

import logging
import random
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html

from extractor.data.jsonl import read_objects
from extractor.page.dom import Node, PageError, decode_html, iter_text_nodes, parse_html
from extractor.page.strip import strip_root
from extractor.values.matching import MatchResult, Span, match_values
from extractor.values.schema import NOT_PAGE_ATTRIBUTES

logger = logging.getLogger(__name__)


class LabelsError(ValueError):
    """A labels file that cannot be read: bad JSON, missing keys, pages that do not exist."""


@dataclass(frozen=True)
class Page:
    """What extraction may see of a page: where it is and its HTML, never its labels."""

    site: str
    file: str
    path: Path
    url: str | None = None
    #: read without its structured data (`extractor.page.strip`): a store without markup
    stripped: bool = False

    def parsed(self) -> ParsedPage:
        """The page's HTML, lxml root and text nodes (cached)."""
        return PAGE_CACHE.get(self.path, self.stripped)


@dataclass(frozen=True)
class LabelledPage:
    """One line of a labels file: the page and its gold values."""

    page: Page
    labels: Mapping[str, Any]
    industry: str | None = None

    @property
    def site(self) -> str:
        """The store the page belongs to."""
        return self.page.site

    @property
    def file(self) -> str:
        """The page file, relative to the labels file's folder."""
        return self.page.file


@dataclass(frozen=True)
class AnnotatedPage:
    """A page annotated from its gold values: its text nodes and where the matcher found them."""

    page: Page
    labels: Mapping[str, Any]
    match: MatchResult
    nodes: list[Node] = field(default_factory=list)

    @property
    def site(self) -> str:
        """The store the page belongs to."""
        return self.page.site

    @property
    def spans(self) -> dict[str, list[Span]]:
        """The matched spans per attribute."""
        return self.match.spans

    @property
    def attributes(self) -> list[str]:
        """The attributes whose values the page shows (annotated spans or images)."""
        return [a for a in self.labels if self.match.found(a)]


@dataclass
class ParsedPage:
    """A page parsed once: its decoded HTML, lxml root and visible text nodes."""

    html: str
    root: lxml.html.HtmlElement | None
    nodes: list[Node]


class PageCache:
    """An in-memory LRU of parsed pages (parsing a real page costs ~20 ms)."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[tuple[Path, bool], ParsedPage] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, path: Path, stripped: bool = False) -> ParsedPage:
        """The parsed page at `path`, its structured data removed when `stripped` (a page
        without text yields no nodes, with a warning)."""
        key = (path, stripped)
        if key in self._items:
            self.hits += 1
            self._items.move_to_end(key)
            return self._items[key]
        self.misses += 1
        html = decode_html(path.read_bytes())
        try:
            root = parse_html(html)
            if stripped:
                root = strip_root(root)
                html = lxml.html.tostring(root, encoding="unicode", method="html")
            nodes = list(iter_text_nodes(root))
        except PageError as exc:
            logger.warning("%s: no text nodes: %s", path, exc)
            root, nodes = None, []
        parsed = ParsedPage(html=html, root=root, nodes=nodes)
        self._items[key] = parsed
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return parsed

    def clear(self) -> None:
        """Forget every cached page."""
        self._items.clear()


#: The process-wide page cache used by `Page.parsed`.
PAGE_CACHE = PageCache()


def read_labels(
    path: str | Path, *, check_files: bool = True, strip_markup: bool = False
) -> list[LabelledPage]:
    """Read a labels file; a line without `site`/`file`/`labels` or a missing page is an error.
    With `strip_markup`, every page is read without its structured data (`extractor.page.strip`)."""
    path = Path(path)
    if not path.is_file():
        raise LabelsError(f"labels file {path} does not exist")
    base = path.parent
    pages: list[LabelledPage] = []
    missing: list[str] = []
    for number, data in read_objects(path, LabelsError):
        lacking = [k for k in ("site", "file", "labels") if k not in data]
        if lacking or not isinstance(data["labels"], dict):
            raise LabelsError(f"{path}:{number}: needs site, file and a labels object")
        page_path = base / str(data["file"])
        if check_files and not page_path.is_file():
            missing.append(str(data["file"]))
        url = data.get("url") or None
        page = Page(str(data["site"]), str(data["file"]), page_path, url, strip_markup)
        pages.append(LabelledPage(page, dict(data["labels"]), data.get("industry")))
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise LabelsError(f"{path}: {len(missing)} page files do not exist: {shown}")
    return pages


@dataclass
class StoreTask:
    """One store: its pages and its attribute schema (the attributes its labels carry)."""

    site: str
    pages: list[LabelledPage]
    attributes: list[str] = field(default_factory=list)
    industry: str | None = None

    def __len__(self) -> int:
        return len(self.pages)


def group_by_site(pages: Sequence[LabelledPage]) -> dict[str, StoreTask]:
    """Stores in first-seen order, each with its pages and attribute schema."""
    tasks: dict[str, StoreTask] = {}
    for page in pages:
        task = tasks.setdefault(page.site, StoreTask(page.site, [], [], page.industry))
        task.pages.append(page)
        for name in page.labels:
            if name not in task.attributes and name not in NOT_PAGE_ATTRIBUTES:
                task.attributes.append(name)
    return tasks


def without_attributes(task: StoreTask, attributes: Sequence[str]) -> StoreTask:
    """The task with some attributes removed from its schema and from every page's labels."""
    drop = set(attributes)
    pages = [
        LabelledPage(p.page, {k: v for k, v in p.labels.items() if k not in drop}, p.industry)
        for p in task.pages
    ]
    schema = [a for a in task.attributes if a not in drop]
    return StoreTask(task.site, pages, schema, task.industry)


@dataclass
class Splits:
    """Stores split three ways; a store is in exactly one split."""

    train: list[StoreTask]
    val: list[StoreTask]
    test: list[StoreTask]

    def summary(self) -> dict[str, int]:
        """Store counts per split."""
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


def split_stores(
    tasks: Mapping[str, StoreTask] | Sequence[StoreTask],
    *,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 0,
    holdout_industries: Sequence[str] = (),
    holdout_attributes: Sequence[str] = (),
    min_pages: int = 2,
) -> Splits:
    """Split stores into train/val/test by a seeded shuffle.

    Stores of a held-out industry all go to test. Held-out attributes are removed from the
    training stores (schema and labels), so that evaluation attributes can be new to the model.
    Stores with fewer than `min_pages` pages cannot form a support/query task and are left out
    of training (they stay available for evaluation).
    """
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError("val_fraction and test_fraction must be in [0, 1) with a sum below 1")
    stores = list(tasks.values()) if isinstance(tasks, Mapping) else list(tasks)
    if len({t.site for t in stores}) != len(stores):
        raise ValueError("each store must appear once")
    held = set(holdout_industries)
    test = [t for t in stores if t.industry in held]
    rest = sorted((t for t in stores if t.industry not in held), key=lambda t: t.site)
    random.Random(seed).shuffle(rest)
    n_val = round(len(rest) * val_fraction)
    n_test = round(len(rest) * test_fraction)
    val, test = rest[:n_val], test + rest[n_val : n_val + n_test]
    train = [t for t in rest[n_val + n_test :] if len(t) >= min_pages]
    if holdout_attributes:
        train = [without_attributes(t, holdout_attributes) for t in train]
    dropped = len(rest) - n_val - n_test - len(train)
    if dropped:
        logger.info("%d training stores with fewer than %d pages left out", dropped, min_pages)
    return Splits(train=train, val=val, test=test)


def two_folds(page_counts: Mapping[str, int]) -> tuple[list[str], list[str]]:
    """Stores in two folds: sorted by page count (most first, then by name) and dealt
    alternately, so both folds get stores with many pages."""
    order = sorted(page_counts, key=lambda site: (-page_counts[site], site))
    return order[0::2], order[1::2]


@dataclass
class Sample:
    """Support and query pages drawn from one store."""

    task: StoreTask
    support: list[LabelledPage]
    query: list[LabelledPage]


def sample_support_query(
    task: StoreTask, k: int, query_size: int | None, rng: random.Random
) -> Sample:
    """k support pages and up to `query_size` other pages (all others when None)."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if len(task) < k + 1:
        raise ValueError(f"store {task.site} has {len(task)} pages, needs at least {k + 1}")
    order = rng.sample(range(len(task)), len(task))
    support = [task.pages[i] for i in order[:k]]
    rest = [task.pages[i] for i in order[k:]]
    query = rest if query_size is None else rest[:query_size]
    return Sample(task, support, query)


def iterate_samples(
    tasks: Sequence[StoreTask], k: int, query_size: int | None, seed: int
) -> Iterator[Sample]:
    """An endless seeded stream of samples over the stores that have enough pages."""
    usable = [t for t in tasks if len(t) >= k + 1]
    if not usable:
        raise ValueError(f"no store has the {k + 1} pages a {k}-shot task needs")
    rng = random.Random(seed)
    while True:
        task = rng.choice(usable)
        yield sample_support_query(task, k, query_size, rng)


def annotate(page: LabelledPage, labels: Mapping[str, Any] | None = None) -> AnnotatedPage:
    """Mark where a support page shows its label values (the value matcher); log what it misses."""
    labels = page.labels if labels is None else labels
    parsed = page.page.parsed()
    match = match_values(parsed.nodes, labels, page.page.url, root=parsed.root)
    if match.missing:
        logger.debug("%s: not found on the page: %s", page.file, match.missing)
    return AnnotatedPage(page.page, dict(labels), match, parsed.nodes)
