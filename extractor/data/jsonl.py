"""JSON Lines files of objects (labels, values, annotations), read with line-numbered errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def read_objects(path: Path, error: type[ValueError]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-empty line; a line that is not a JSON object, or a
    file that is not UTF-8 text (a byte-order mark is allowed), raises `error` naming the file
    and the line."""
    if path.is_dir():
        raise error(f"{path} is a folder, not a JSON Lines file")
    with path.open(encoding="utf-8-sig") as handle:
        try:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise error(f"{path}:{number}: invalid JSON: {exc}") from exc
                if not isinstance(entry, dict):
                    raise error(f"{path}:{number}: expected a JSON object")
                yield number, entry
        except UnicodeDecodeError as exc:
            with path.open("rb") as raw:
                utf16 = raw.read(2) in (b"\xff\xfe", b"\xfe\xff")
            kind = "UTF-16 text" if utf16 else "binary"
            raise error(
                f"{path} is not UTF-8 text ({kind}?, byte {exc.object[exc.start]:#04x}): "
                "save it as UTF-8 JSON Lines"
            ) from None
