"""The extractor model: a BERT encoder with XPath/hint embeddings and a prototype BIO head."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from extractor.neural.bert import BertConfig, BertEncoder, encoder_config, load_bert
from extractor.neural.config import (
    ExtractorConfig,
    resolve_encoder,
)
from extractor.neural.features import (
    HTML_TAGS,
    MAX_SUBSCRIPT,
    N_RELATIONS,
    RELATION_FEATURES,
    attribute_classes,
)
from extractor.neural.hf_encoder import HuggingFaceEncoder

#: The encoders: BERT in plain torch, or another architecture through `transformers`.
Encoder = BertEncoder | HuggingFaceEncoder


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


class RelationHead(nn.Module):
    """Evidence for each attribute's B and I tags from where a token stands relative to the
    support values ([..., attributes, N_RELATIONS] -> [..., attributes, 2]); zero for attributes
    without support, and zero everywhere until trained (its output layer starts at zero).
    The `ignored` relations (names of `RELATION_FEATURES`) are read as zero."""

    def __init__(self, hidden: int, ignored: Sequence[str] = ()) -> None:
        super().__init__()
        self.inner = nn.Linear(N_RELATIONS, hidden)
        self.out = nn.Linear(hidden, 2)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.keep: torch.Tensor
        self.register_buffer("keep", torch.ones(N_RELATIONS), persistent=False)
        self.ignore(ignored)

    def ignore(self, names: Sequence[str]) -> None:
        """Read these relations as zero from now on (and no others)."""
        keep = [name not in names for name in RELATION_FEATURES]
        self.keep.copy_(torch.tensor(keep, dtype=self.keep.dtype))

    def forward(self, relations: torch.Tensor) -> torch.Tensor:
        """B/I evidence per attribute, masked by the `has_support` feature."""
        read = relations * self.keep.to(relations.dtype)
        return self.out(F.gelu(self.inner(read))) * relations[..., :1]


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
        self.relate = (
            RelationHead(config.relation_hidden, config.ignored_relations)
            if config.relation_hidden
            else None
        )

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
        relations: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """[B, T, hidden] -> [B, T, 1 + 2 * len(attributes)] logits; `relations`
        [B, T, len(attributes), N_RELATIONS] adds the relation head's evidence."""
        rows = None
        if prototypes is None or bias is None:
            rows = self.class_index(attributes)
        protos = self.prototypes[rows] if prototypes is None else prototypes
        bias = self.bias[rows] if bias is None else bias
        cos = self.project(hidden) @ F.normalize(protos, dim=-1).T
        logits = self.log_scale.exp() * cos + bias
        if relations is not None and self.relate is not None:
            evidence = self.relate(relations.to(logits.dtype)).flatten(-2)  # B-a, I-a, B-b, ...
            logits = logits + F.pad(evidence, (1, 0))
        return logits


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

    def __init__(self, config: ExtractorConfig, encoder: Encoder | None = None) -> None:
        super().__init__()
        if encoder is None:
            encoder = _build_encoder(config, pretrained=bool(config.encoder))
        config.encoder_config = encoder.config.to_dict()
        self.config = config
        self.encoder: Encoder = encoder
        hidden = int(encoder.config.hidden_size)
        layers = encoder.layers
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
        return self.encoder.layers

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
        depends on the attention kernel: eager/sdpa)."""
        return self.encoder.attention_mask(attention_mask, hidden)

    def set_attention(self, implementation: str) -> None:
        """Switch the encoder's attention kernel: "eager" (needed for second-order MAML) or
        "sdpa" (faster at inference)."""
        self.encoder.set_attention(implementation)

    def _run_layers(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int, stop: int | None
    ) -> torch.Tensor:
        mask = self.attention_bias(hidden, attention_mask)
        layers = self.layers
        fast = self.bf16_inference and not torch.is_grad_enabled()
        with torch.autocast(hidden.device.type, dtype=torch.bfloat16, enabled=fast):
            for i in range(start, len(layers) if stop is None else stop):
                out = layers[i](hidden, mask)  # by index: slicing breaks inside `higher`
                hidden = out[0] if isinstance(out, tuple) else out  # a HF layer's tuple
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
        relations: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Upper layers and head on cached lower hidden states -> logits [B, T, C]."""
        attrs = self.config.attributes if attributes is None else attributes
        top = self.encode_upper(hidden, attention_mask)
        return self.head(top, attrs, prototypes, bias, relations)

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
        relations = batch.get("relations") if batch is not None else None
        return self.forward_upper(hidden, attention_mask, attributes, prototypes, bias, relations)

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
        from extractor.neural.checkpoint import save_model

        save_model(self, Path(directory), tokenizer, training)

    @classmethod
    def from_pretrained(
        cls, directory: str | Path, device: str | torch.device = "cpu"
    ) -> ExtractorModel:
        """Load a saved model directory (safetensors only, never pickle)."""
        from extractor.neural.checkpoint import load_model

        return load_model(Path(directory), device)


def _build_encoder(config: ExtractorConfig, pretrained: bool) -> Encoder:
    """The encoder: pretrained weights from `config.encoder`, or random from `encoder_config`;
    BERT-shaped ones in plain torch (`extractor.neural.bert`), others through `transformers`."""
    if pretrained:
        path = resolve_encoder(config.encoder)
        if encoder_config(path).get("model_type", "bert") == "bert":
            return load_bert(path)
        return HuggingFaceEncoder.pretrained(path)
    fields = dict(config.encoder_config or {})
    if fields.get("model_type", "bert") == "bert":
        return BertEncoder(BertConfig.from_dict(fields))
    return HuggingFaceEncoder.random(fields)
