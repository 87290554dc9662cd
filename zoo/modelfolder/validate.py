"""Reading ``config.json``: untrusted input (a downloaded folder), validated before anything is built."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zoo.errors import WeightsError
from zoo.remedy import TRUST_EXTERNAL_WEIGHTS
from zoo.modelfolder.layout import (
    CONFIG_NAME,
    FORMAT_VERSION,
    LIBRARY_NAME,
    WEIGHTS_FILE,
    ModelFolderError,
)
from zoo.weights import PICKLE_SUFFIXES, map_weights, pickle_refusal

__all__ = ["MAX_CONFIG_BYTES", "check_part_files", "confine_weights", "read_config", "refuse_pickles"]

#: A real config.json is a few kB; a downloaded one is untrusted input.
MAX_CONFIG_BYTES = 1024 * 1024


def read_config(path: Path | str) -> dict[str, Any]:
    """The validated ``config.json`` of a model folder (no torch work: cheap enough for ``zoo pull``)."""
    folder = Path(path).expanduser()
    if folder.is_file():
        if folder.suffix in PICKLE_SUFFIXES:
            raise WeightsError(pickle_refusal(folder))
        raise ModelFolderError(f"{folder}: expected a model folder (config.json + model.safetensors), got a file")
    if not folder.is_dir():
        raise ModelFolderError(f"model folder not found: {folder}")
    config_path = folder / CONFIG_NAME
    if config_path.exists() and not config_path.is_file():
        raise ModelFolderError(f"{config_path}: not a regular file (a folder, FIFO or device is never read as a config)")
    if not config_path.is_file():
        refuse_pickles(folder)
        raise ModelFolderError(f"{folder}: not a model folder (no {CONFIG_NAME})")
    size = config_path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ModelFolderError(f"{config_path}: {size} bytes is more than a model config may hold ({MAX_CONFIG_BYTES})")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ModelFolderError(f"{config_path}: nested too deeply to be a model config") from None
    except UnicodeDecodeError:
        raise ModelFolderError(f"{config_path}: not valid JSON (not UTF-8 text)") from None
    except json.JSONDecodeError as error:
        raise ModelFolderError(f"{config_path}: not valid JSON (line {error.lineno} column {error.colno}: {error.msg})") from None
    _validate_config(config, config_path)
    return config


def check_part_files(path: Path | str, config: Mapping[str, Any]) -> None:
    """Every weights file the config names exists (pickles present instead get the pickle refusal)."""
    folder = Path(path)
    for part, spec in config["parts"].items():
        file = folder / spec["file"]
        if file.exists() and not file.is_file():
            raise ModelFolderError(f"{file}: not a regular file (a folder, FIFO or device is never read as weights)")
        if not file.is_file():
            refuse_pickles(folder)
            raise ModelFolderError(f"{folder / spec['file']}: missing ({CONFIG_NAME} names it for part '{part}')")


def _validate_config(config: Any, where: Path) -> None:
    if not isinstance(config, dict):
        raise ModelFolderError(f"{where}: must hold a JSON object")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFolderError(f"{where}: format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFolderError(
            f"{where}: format_version {version} was made by a newer faceswap-zoo (this one reads up to "
            f"{FORMAT_VERSION}); upgrade: pip install -U faceswap-zoo"
        )
    if config.get("library_name") != LIBRARY_NAME:
        raise ModelFolderError(
            f"{where}: library_name is {config.get('library_name')!r}, not '{LIBRARY_NAME}': not a faceswap-zoo model folder"
        )
    parts = config.get("parts")
    if not isinstance(parts, dict) or not parts:
        raise ModelFolderError(f"{where}: 'parts' must be a non-empty object")
    for part, spec in parts.items():
        key = f"parts.{part}"
        if not isinstance(spec, dict):
            raise ModelFolderError(f"{where}: {key} must be an object")
        if spec.get("kind") != "backbone":
            raise ModelFolderError(f"{where}: {key}.kind must be 'backbone', got {spec.get('kind')!r}")
        if not isinstance(spec.get("name"), str):
            raise ModelFolderError(f"{where}: {key}.name must be a registered backbone name")
        if not isinstance(spec.get("args", {}), dict):
            raise ModelFolderError(f"{where}: {key}.args must be an object")
        file = spec.get("file")
        if isinstance(file, str) and file.endswith(PICKLE_SUFFIXES):
            raise WeightsError(pickle_refusal(where.parent / file))
        if not isinstance(file, str) or not WEIGHTS_FILE.match(file):
            raise ModelFolderError(f"{where}: {key}.file must name a .safetensors file in the folder, got {file!r}")
    if not isinstance(config.get("info", {}), dict):
        raise ModelFolderError(f"{where}: 'info' must be an object")


def refuse_pickles(folder: Path) -> None:
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise WeightsError(pickle_refusal(folder / pickles[0]))


def confine_weights(name: str, args: Mapping[str, Any], folder: Path, where: str,
                    allow_external: bool = False) -> dict[str, Any]:
    """Backbone ``name``'s ``args`` with every weights argument resolved inside ``folder``, or refused.

    A saved folder clears its weight paths (the tensors are in the folder), so a non-empty one
    comes from someone else's config: a file of the folder is allowed; another Hub repo
    (``hf://...``), an absolute path or a way out (``..``) would make loading this model fetch or
    read files the user never chose, and is refused unless ``allow_external``. Weights arguments are
    the ones the schemas mark (:class:`zoo.weights.WeightsMarker`), whatever they are called.
    """
    def confine(path: str, value: Any) -> Any:
        return str(_inside(folder, value, path)) if isinstance(value, str) and not allow_external else value

    return map_weights("backbone", name, args, where, confine)


def _inside(folder: Path, value: str, where: str) -> Path:
    # lexical, not resolved: a Hub snapshot's files are symlinks into the cache's blob store
    root = Path(os.path.normpath(folder.absolute()))
    candidate = Path(os.path.normpath(root / value))
    if "://" in value or Path(value).is_absolute() or root not in candidate.parents:
        raise ModelFolderError(
            f"{folder / CONFIG_NAME}: {where} names weights outside this model ({value!r}); a model's weights come "
            f"from its own folder ({TRUST_EXTERNAL_WEIGHTS})"
        )
    return candidate
