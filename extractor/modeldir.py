"""Model directories, checked before any work depends on them: the shipped default, a path
given on the command line or a store's adapted model must be complete, with a config.json of
the right types and an encoder and tokenizer that are there; what fails while loading one is a
ModelError too. One line says what is wrong (`shopwright` prints it without a traceback).

Importable without torch: the loaders are imported where they are used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extractor.neural.tokenizer import TOKENIZER_FILES

if TYPE_CHECKING:
    from extractor.neural.model import ExtractorModel

#: The model that ships with the package (`make model` writes it).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
#: Files every model directory has (`extractor.neural.checkpoint`).
MODEL_FILES = ("config.json", "model.safetensors")


class ModelNotFoundError(FileNotFoundError):
    """No model directory where one was expected."""


class ModelError(ValueError):
    """A model directory that cannot be loaded: incomplete, or with a config.json of wrong
    values, or an encoder that is not there."""


def model_dir_or_default(model_dir: str | Path | None) -> Path:
    """The model directory to load: the given one, else the shipped default; a clear error when
    there is none."""
    path = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
    if not (path / "config.json").is_file():
        hint = "run `make model` or pass --model DIR" if model_dir is None else "pass --model DIR"
        raise ModelNotFoundError(f"no model at {path}; {hint}")
    return path


def check_model_dir(model_dir: str | Path | None) -> Path:
    """`model_dir_or_default`, and the model directory complete and its config.json valid
    (every value of the type it must have), before any work depends on it; ModelError says
    what is wrong."""
    path = model_dir_or_default(model_dir)
    missing = [name for name in MODEL_FILES if not (path / name).is_file()]
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        missing.append(" or ".join(TOKENIZER_FILES))
    if missing:
        raise ModelError(
            f"the model at {path} is incomplete ({', '.join(missing)} missing): write it again "
            "(`shopwright adapt`, `shopwright train`) or pass another --model"
        )
    config_path = path / "config.json"
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{config_path}: not a JSON file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != "shopwright-extractor":
        raise ModelError(f"{config_path} is not a shopwright model config")
    _check_config_values(config_path, data)
    return path


def _check_config_values(config_path: Path, data: Mapping[str, Any]) -> None:
    import dataclasses
    import typing

    from extractor.neural.config import ExtractorConfig, resolve_encoder

    hints = typing.get_type_hints(ExtractorConfig)
    for spec in dataclasses.fields(ExtractorConfig):
        if spec.name in data and not _of_type(data[spec.name], hints[spec.name]):
            raise ModelError(
                f"{config_path}: `{spec.name}` must be {_type_name(hints[spec.name])}, "
                f"got {data[spec.name]!r}"
            )
    try:
        config = ExtractorConfig.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{config_path}: {exc}") from None
    encoder = resolve_encoder(config.encoder) if config.encoder else ""
    looks_like_path = encoder.startswith(("/", ".", "~")) or encoder.count("/") > 1
    if encoder and looks_like_path and not Path(encoder).expanduser().is_dir():
        raise ModelError(
            f"{config_path}: its encoder {config.encoder!r} does not exist; put the encoder "
            "there or use a model whose encoder is installed"
        )


def _of_type(value: Any, hint: Any) -> bool:
    import types
    import typing

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_of_type(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        return isinstance(value, list) and all(_of_type(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict)
    return not isinstance(hint, type) or isinstance(value, hint)


def _type_name(hint: Any) -> str:
    names = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}
    text = names.get(hint, str(hint).replace("typing.", ""))
    return text.replace("list[str]", "a list of strings").replace(" | None", " or null")


def load_model(model_dir: str | Path | None, device: Any = "cpu") -> ExtractorModel:
    """The model of a checked model directory (`check_model_dir`); what fails while loading
    it (an encoder that is not there, weights that do not fit) is a ModelError."""
    from extractor.neural.model import ExtractorModel

    path = check_model_dir(model_dir)
    try:
        return ExtractorModel.from_pretrained(path, device=device)
    except ValueError:
        raise
    except (OSError, RuntimeError, KeyError, TypeError) as exc:
        raise ModelError(f"the model at {path} cannot be loaded: {_first_line(exc)}") from exc


def load_model_tokenizer(model_dir: Path) -> Any:
    """The tokenizer saved in a model directory; a ModelError when it cannot be read."""
    from extractor.neural.checkpoint import load_tokenizer

    try:
        return load_tokenizer(model_dir)
    except (OSError, ValueError, RuntimeError, TypeError, ImportError) as exc:
        raise ModelError(
            f"the tokenizer of the model at {model_dir} cannot be read ({_first_line(exc)}): "
            "write the model again or pass another --model"
        ) from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
