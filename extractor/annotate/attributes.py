"""The attributes a person annotates in a store: the standard ones, then custom ones by name and
type, kept in `data/<store>/attributes.json` (`AttributeSchema.to_json`), written atomically."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.data.atomic import write_text_atomic
from extractor.values.schema import STANDARD_ATTRIBUTES, AttributeSchema, AttributeType

ATTRIBUTES_FILE = "attributes.json"
#: The types a person picks for a custom attribute.
CUSTOM_TYPES: tuple[AttributeType, ...] = ("text", "price", "url", "list", "number")
#: A custom attribute's name: lower-case words joined by `_` (it becomes a record field).
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
#: Keyboard shortcuts, given to the attributes in order.
KEYS = "1234567890qwertyuiopasdfghjklzxcvbnm"


class SchemaError(ValueError):
    """A custom attribute that cannot be added (a bad name or type), or a bad attributes file."""


def load_schema(path: Path) -> AttributeSchema:
    """The store's schema from its attributes file (standard attributes only when there is none)."""
    if not path.is_file():
        return AttributeSchema()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return AttributeSchema.from_json(data)
    except (ValueError, AttributeError, TypeError) as exc:
        raise SchemaError(f"{path}: not an attributes file ({exc})") from None


def add_attribute(path: Path, name: str, kind: str) -> AttributeSchema:
    """Declare a custom attribute (or change a custom one's type) and save the schema."""
    name = name.strip()
    if not NAME.fullmatch(name):
        raise SchemaError(
            f"attribute name {name!r}: lower-case letters, digits and _ (up to 40), starting "
            "with a letter"
        )
    if name in STANDARD_ATTRIBUTES:
        raise SchemaError(f"{name!r} is a standard attribute already")
    if kind not in CUSTOM_TYPES:
        raise SchemaError(f"attribute type {kind!r}: one of {', '.join(CUSTOM_TYPES)}")
    schema = load_schema(path)
    custom: dict[str, Any] = {**schema.custom, name: kind}
    schema = AttributeSchema(custom=custom)
    write_text_atomic(path, json.dumps(schema.to_json(), indent=2, ensure_ascii=False) + "\n")
    return schema


def attribute_list(
    schema: AttributeSchema, annotated: Iterable[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """`[{name, type, standard, key}]`: the standard attributes, the declared custom ones, then
    those that only annotations name (a values file's `author`; a list when marked as items)."""
    kinds: dict[str, str] = dict(schema.attributes)
    for annotation in annotated:
        for name, spans in (annotation.get("spans") or {}).items():
            if name not in kinds:
                kinds[name] = "list" if any("item" in s for s in spans) else "text"
        for name in annotation.get("images") or {}:
            kinds.setdefault(name, "url")
    return [
        {
            "name": name,
            "type": kind,
            "standard": name in STANDARD_ATTRIBUTES,
            "key": KEYS[i] if i < len(KEYS) else "",
        }
        for i, (name, kind) in enumerate(kinds.items())
    ]


def list_attributes(attributes: Sequence[Mapping[str, Any]]) -> set[str]:
    """The names of the list attributes of an attribute list."""
    return {str(a["name"]) for a in attributes if a["type"] == "list"}
