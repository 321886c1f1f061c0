"""JSON Lines of objects: line numbers in errors, blank lines skipped, the caller's error type."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.data.annotations import AnnotationError
from extractor.data.jsonl import read_objects


def test_objects_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "values.jsonl"
    path.write_text('{"url": "a"}\n\n{"url": "b"}\n', encoding="utf-8")
    assert list(read_objects(path, ValueError)) == [(1, {"url": "a"}), (3, {"url": "b"})]


@pytest.mark.parametrize(("text", "message"), [("{oops", "invalid JSON"), ("[1]", "a JSON object")])
def test_bad_lines_raise_the_callers_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "annotations.jsonl"
    path.write_text(f'{{"url": "a"}}\n{text}\n', encoding="utf-8")
    with pytest.raises(AnnotationError, match=rf"annotations.jsonl:2: .*{message}"):
        list(read_objects(path, AnnotationError))
