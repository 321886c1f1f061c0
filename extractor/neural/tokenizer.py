"""A model's tokenizer: its `tokenizer.json` (or a BERT `vocab.txt`) through the `tokenizers`
library, with the few things the extractor needs of it (the special tokens' ids, saving), and
without importing `transformers`. The files are the ones Hugging Face's fast tokenizers read
and write, so a model directory stays loadable by either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer as Backend

TOKENIZER_FILE = "tokenizer.json"
VOCAB_FILE = "vocab.txt"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
#: A model directory's tokenizer: one of these (fast tokenizer, or a BERT vocabulary).
TOKENIZER_FILES = (TOKENIZER_FILE, VOCAB_FILE)
#: The special tokens of a BERT vocabulary, where tokenizer_config.json does not name them.
SPECIAL_TOKENS = {
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
}


class TokenizerError(ValueError):
    """A tokenizer that cannot be read: files missing or not a tokenizer's."""


class Tokenizer:
    """WordPiece tokens of page texts (`backend_tokenizer.encode_batch`, neither padded nor
    truncated) and the ids of the special tokens a window starts and ends with."""

    def __init__(self, backend: Backend, config: dict[str, Any] | None = None) -> None:
        # A saved tokenizer.json may pad and truncate (the packaged one pads to 128): the
        # extractor decides both itself.
        backend.no_padding()
        backend.no_truncation()
        self.backend_tokenizer = backend
        self.config = {**SPECIAL_TOKENS, **dict(config or {})}
        self.cls_token_id = self._id("cls_token")
        self.sep_token_id = self._id("sep_token")
        self.pad_token_id = self._id("pad_token")

    @property
    def vocab_size(self) -> int:
        """Tokens in the vocabulary (special tokens included)."""
        return int(self.backend_tokenizer.get_vocab_size(with_added_tokens=True))

    def convert_ids_to_tokens(self, token_id: int) -> str:
        """The token of an id."""
        token = self.backend_tokenizer.id_to_token(int(token_id))
        if token is None:
            raise KeyError(f"no token {token_id} in a vocabulary of {self.vocab_size}")
        return str(token)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write tokenizer.json and tokenizer_config.json into `directory`."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        self.backend_tokenizer.save(str(path / TOKENIZER_FILE))
        text = json.dumps(self.config, indent=2, sort_keys=True) + "\n"
        (path / TOKENIZER_CONFIG_FILE).write_text(text, encoding="utf-8")

    @classmethod
    def from_directory(cls, directory: str | Path) -> Tokenizer:
        """The tokenizer of a model or encoder directory: tokenizer.json, else a BERT vocab.txt
        (lower-cased unless tokenizer_config.json says otherwise)."""
        path = Path(directory)
        config = _read_config(path / TOKENIZER_CONFIG_FILE)
        try:
            if (path / TOKENIZER_FILE).is_file():
                backend = Backend.from_file(str(path / TOKENIZER_FILE))
            elif (path / VOCAB_FILE).is_file():
                from tokenizers.implementations import BertWordPieceTokenizer

                lowercase = bool(config.get("do_lower_case", True))
                word_piece = BertWordPieceTokenizer(str(path / VOCAB_FILE), lowercase=lowercase)
                backend = Backend.from_str(word_piece.to_str())
            else:
                raise TokenizerError(f"no {' or '.join(TOKENIZER_FILES)} in {path}")
        except Exception as exc:  # the tokenizers library raises its own exception types
            if isinstance(exc, TokenizerError):
                raise
            raise TokenizerError(f"the tokenizer in {path} cannot be read: {exc}") from exc
        return cls(backend, config)

    def _id(self, name: str) -> int:
        token = self.config.get(name)
        token_id = self.backend_tokenizer.token_to_id(str(token)) if token else None
        if token_id is None:
            raise TokenizerError(f"the tokenizer has no {name} ({token!r})")
        return int(token_id)


def _read_config(path: Path) -> dict[str, Any]:
    """tokenizer_config.json's special-token names and casing (other keys are kept as they are)."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TokenizerError(f"{path}: invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TokenizerError(f"{path} is not a tokenizer config")
    # Hugging Face may write a special token as {"content": "[CLS]", ...}.
    return {
        k: v["content"] if isinstance(v, dict) and "content" in v else v for k, v in data.items()
    }
