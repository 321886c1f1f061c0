"""Write product records as JSON (a list), JSON Lines or CSV, chosen by extension, atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from extractor.data.atomic import write_text_atomic

#: File extension -> format name.
FORMATS = {".json": "json", ".jsonl": "jsonl", ".jl": "jsonl", ".csv": "csv"}


class ExportError(ValueError):
    """An export that cannot be written (unknown format)."""


def export_format(path: str | os.PathLike[str]) -> str:
    """The format a path's extension asks for; ExportError for an unknown one."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise ExportError(f"cannot export to {str(path)!r}: unknown extension {suffix!r} ({known})")
    return FORMATS[suffix]


#: A cell that starts so (after any quotes this escaping added) is a formula to a spreadsheet
#: (OWASP, CSV injection): `=`, `+`, `-`, `@`, tab, carriage return.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
#: ...unless it is a plain number, which no spreadsheet runs.
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: scalars as text, nested values (lists, objects) as compact JSON,
    and text a spreadsheet would run as a formula (`=cmd|' /C calc'!A0`, `+SUM(...)`,
    `@HYPERLINK(...)`) prefixed with `'` so that it shows as text; `read_records` removes it."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    )
    if _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def render(records: Iterable[Mapping[str, Any]], fmt: str) -> str:
    """The text of an export in one format (`json`, `jsonl`, `csv`)."""
    rows = list(records)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_cell(v) for k, v in row.items()})
        return buffer.getvalue()
    raise ExportError(f"unknown export format {fmt!r} (json, jsonl, csv)")


def write_records(records: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write records to `path` in the format of its extension, replacing the file atomically."""
    target = Path(path)
    return write_text_atomic(target, render(records, export_format(target)))


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read an export back; CSV cells holding JSON objects or lists are decoded."""
    fmt = export_format(path)
    text = Path(path).read_text(encoding="utf-8")
    if fmt == "json":
        return list(json.loads(text))
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append({k: _from_cell(v) for k, v in row.items() if v != ""})
    return rows


def _from_cell(value: str) -> Any:
    if value.startswith("'") and _FORMULA.match(value) and not _NUMBER.fullmatch(value[1:]):
        return value[1:]  # csv_cell's escape of a formula-like text
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
