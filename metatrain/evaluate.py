"""The evaluation harness: k-shot episodes per store, predictions.jsonl, scored report.json.

For every site and every k with at least k + 1 pages, R seeded repeats: k support pages are
annotated from their labels with the value matcher, each method adapts on them, and extracts
every other page of the site. Extraction only receives `Page` objects (HTML, never labels);
gold values are read when scoring, after every prediction is written.
"""

from __future__ import annotations

import json
import logging
import random
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from extractor.values.matching import match_values
from metatrain.methods import Method
from metatrain.scoring import ScoredPage, score_pages
from metatrain.tasks import LabelledPage, StoreTask, annotate, group_by_site

logger = logging.getLogger(__name__)

PREDICTIONS_FILE = "predictions.jsonl"
REPORT_FILE = "report.json"
PLOT_FILE = "f1_vs_shots.png"


@dataclass(frozen=True)
class EpisodePlan:
    """One evaluation episode: a site, k, a repeat, and which pages are support."""

    site: str
    shots: int
    repeat: int
    support: tuple[int, ...]


def plan_episodes(
    tasks: Mapping[str, StoreTask], shots: Sequence[int], repeats: int, seed: int
) -> Iterator[EpisodePlan]:
    """Every (site, k, repeat) episode with seeded support choices; k = 0 runs once."""
    for site in sorted(tasks):
        n = len(tasks[site])
        for k in shots:
            if n < k + 1:
                continue
            for repeat in range(repeats if k > 0 else 1):
                rng = random.Random(f"{seed}/{site}/{k}/{repeat}")
                yield EpisodePlan(site, k, repeat, tuple(sorted(rng.sample(range(n), k))))


@dataclass
class Timing:
    """Adaptation and extraction time of one method at one k."""

    adapt_seconds: list[float] = field(default_factory=list)
    extract_seconds: float = 0.0
    pages: int = 0

    def to_dict(self) -> dict[str, float | int]:
        """Mean/max adaptation seconds and extraction pages per second."""
        adapt = self.adapt_seconds
        return {
            "episodes": len(adapt),
            "adapt_seconds": round(sum(adapt) / len(adapt), 4) if adapt else 0.0,
            "adapt_seconds_max": round(max(adapt), 4) if adapt else 0.0,
            "pages_per_second": round(self.pages / self.extract_seconds, 2)
            if self.extract_seconds
            else 0.0,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def seed_episode(seed: int, episode: EpisodePlan, method: str) -> None:
    """Seed torch for one method's adaptation in one episode (dropout in the inner loop), so that
    a rerun gives the same predictions whatever the order or subset of methods and episodes."""
    import torch

    key = f"{seed}/{episode.site}/{episode.shots}/{episode.repeat}/{method}"
    torch.manual_seed(zlib.crc32(key.encode()))


def run_predictions(
    tasks: Mapping[str, StoreTask],
    methods: Sequence[Method],
    shots: Sequence[int],
    repeats: int,
    seed: int,
    out: Path,
    progress: bool = True,
) -> tuple[dict[tuple[str, int], Timing], float]:
    """Run every episode with every method; write predictions.jsonl; return timings.

    Pages are parsed before timing starts (parsing is shared by all methods); the returned
    float is the mean parse time per page in milliseconds.
    """
    episodes = list(plan_episodes(tasks, shots, repeats, seed))
    timings: dict[tuple[str, int], Timing] = defaultdict(Timing)
    parse_seconds, parsed = 0.0, 0
    current_site = None
    with (out / PREDICTIONS_FILE).open("w", encoding="utf-8") as handle:
        bar = tqdm(episodes, desc="episodes", unit="ep", disable=not progress, dynamic_ncols=True)
        for episode in bar:
            task = tasks[episode.site]
            if episode.site != current_site:
                current_site = episode.site
                start = time.perf_counter()
                for labelled in task.pages:
                    labelled.page.parsed()
                parse_seconds += time.perf_counter() - start
                parsed += len(task.pages)
            bar.set_postfix(site=episode.site[:20], k=episode.shots)
            support = [task.pages[i] for i in episode.support]
            annotated = [annotate(p) for p in support]
            query = [p.page for i, p in enumerate(task.pages) if i not in episode.support]
            files = [p.file for p in support]
            for method in methods:
                timing = timings[(method.name, episode.shots)]
                seed_episode(seed, episode, method.name)
                start = time.perf_counter()
                reader = method.adapt(annotated, [p.page for p in task.pages])
                timing.adapt_seconds.append(time.perf_counter() - start)
                for page in query:
                    start = time.perf_counter()
                    prediction, confidence = reader.read(page)
                    timing.extract_seconds += time.perf_counter() - start
                    timing.pages += 1
                    line = {
                        "site": episode.site,
                        "file": page.file,
                        "shots": episode.shots,
                        "repeat": episode.repeat,
                        "method": method.name,
                        "support": files,
                        "prediction": {k: _jsonable(v) for k, v in prediction.items()},
                        "confidence": {k: round(float(v), 4) for k, v in confidence.items()},
                    }
                    handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return dict(timings), 1000 * parse_seconds / parsed if parsed else 0.0


def read_predictions(path: Path) -> list[dict[str, Any]]:
    """The lines of a predictions.jsonl file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def not_shown(page: LabelledPage) -> frozenset[str]:
    """Gold attributes the page never shows (by the matcher): reported apart, not scored."""
    parsed = page.page.parsed()
    result = match_values(parsed.nodes, page.labels, page.page.url, root=parsed.root)
    return frozenset(result.not_shown())


def scored_pages(
    predictions: Sequence[Mapping[str, Any]],
    pages: Sequence[LabelledPage],
    complete_labels: bool = False,
) -> Iterator[tuple[Mapping[str, Any], ScoredPage]]:
    """Each prediction line with its page ready to score against the gold labels.

    With `complete_labels` false (real pages), a prediction for an attribute the page has no
    gold value for is left out rather than counted wrong.
    """
    gold = {(p.site, p.file): p for p in pages}
    hidden: dict[tuple[str, str], frozenset[str]] = {}
    for line in predictions:
        key = (line["site"], line["file"])
        if key not in gold:
            raise KeyError(f"{key} is in the predictions but not in the labels file")
        page = gold[key]
        if key not in hidden:
            hidden[key] = not_shown(page)
        yield (
            line,
            ScoredPage(
                gold=page.labels,
                predicted=line["prediction"],
                not_shown=hidden[key],
                page_url=page.page.url,
                partial=not complete_labels,
            ),
        )


def score_predictions(
    predictions: Sequence[Mapping[str, Any]],
    pages: Sequence[LabelledPage],
    complete_labels: bool = False,
) -> dict[str, Any]:
    """Score prediction lines against the gold labels (`scored_pages`): per method and k, and
    per site."""
    groups: dict[tuple[str, int], list[ScoredPage]] = defaultdict(list)
    by_site: dict[tuple[str, int, str], list[ScoredPage]] = defaultdict(list)
    for line, scored in scored_pages(predictions, pages, complete_labels):
        groups[(line["method"], int(line["shots"]))].append(scored)
        by_site[(line["method"], int(line["shots"]), line["site"])].append(scored)
    results: dict[str, dict[str, Any]] = defaultdict(dict)
    for (method, k), group in sorted(groups.items()):
        results[method][str(k)] = score_pages(group).to_dict()
    sites: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for (method, k, site), group in sorted(by_site.items()):
        sites[method][str(k)][site] = round(score_pages(group).macro_f1, 4)
    return {"results": dict(results), "per_site": {m: dict(v) for m, v in sites.items()}}


def evaluate(
    pages: Sequence[LabelledPage],
    methods: Sequence[Method],
    *,
    shots: Sequence[int],
    repeats: int,
    seed: int,
    out: Path,
    labels_path: str = "",
    complete_labels: bool = False,
    markup: bool = True,
    strip_markup: bool = False,
    progress: bool = True,
    trained_on: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run, score and write report.json (+ predictions.jsonl); returns the report. `markup` only
    records whether the model-based methods fused the page's structured data, `strip_markup`
    whether the pages were read without it (`read_labels(strip_markup=True)`), so that
    `compare` and `choose` score them the same way; `trained_on`: per model, the evaluated
    stores it trained on (`evaluated_stores_seen`)."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if not methods:
        raise ValueError("no method to evaluate")
    if any(k < 0 for k in shots):
        raise ValueError(f"shots must be >= 0, got {list(shots)}")
    out.mkdir(parents=True, exist_ok=True)
    tasks = group_by_site(pages)
    skipped = {s: len(t) for s, t in tasks.items() if len(t) < min(shots) + 1}
    started = time.perf_counter()
    timings, parse_ms = run_predictions(tasks, methods, shots, repeats, seed, out, progress)
    scored = score_predictions(read_predictions(out / PREDICTIONS_FILE), pages, complete_labels)
    results = scored["results"]
    for (method, k), timing in timings.items():
        results.setdefault(method, {}).setdefault(str(k), {}).update(timing.to_dict())
    report = {
        "labels": labels_path,
        "shots": list(shots),
        "repeats": repeats,
        "seed": seed,
        "methods": [m.name for m in methods],
        "complete_labels": complete_labels,
        "markup": markup,
        "strip_markup": strip_markup,
        "sites": len(tasks),
        "pages": len(pages),
        "sites_per_shots": {
            str(k): sum(1 for t in tasks.values() if len(t) >= k + 1) for k in shots
        },
        "skipped_sites": skipped,
        "trained_on": dict(trained_on or {}),
        "parse_ms_per_page": round(parse_ms, 2),
        "seconds": round(time.perf_counter() - started, 1),
        "notes": (
            "k = 0 runs once per site (no support to draw); pages_per_second excludes HTML "
            "parsing (parse_ms_per_page); gold values the page does not show are counted in "
            "not_shown and not scored"
        ),
        "results": results,
        "per_site": scored["per_site"],
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
