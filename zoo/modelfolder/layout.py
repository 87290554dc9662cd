"""The model-folder layout shared by saving and loading: file names, format version, part specs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.errors import ZooError

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "CARD_NAME",
    "CONFIG_NAME",
    "FORMAT_VERSION",
    "GENERATOR",
    "LIBRARY_NAME",
    "RECIPE_NAME",
    "SAMPLE_GRID_NAME",
    "ModelFolder",
    "ModelFolderError",
    "PartSpec",
    "part_filename",
]

FORMAT_VERSION = 1
LIBRARY_NAME = "faceswap-zoo"
CONFIG_NAME = "config.json"
RECIPE_NAME = "recipe.yaml"
CARD_NAME = "README.md"
SAMPLE_GRID_NAME = "sample_grid.png"
GENERATOR = "generator"
PART_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
WEIGHTS_FILE = re.compile(r"^[A-Za-z0-9_.\-]+\.safetensors$")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ModelFolderError(ZooError):
    """A model folder that cannot be written or read: missing files, bad config, wrong format."""


@dataclass(frozen=True)
class PartSpec:
    """How to rebuild one part: a registered backbone name and its build arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelFolder:
    """A loaded model folder: the parts asked for (eval mode), the config and its ``info``."""

    path: Path
    config: dict[str, Any]
    parts: dict[str, nn.Module]
    info: dict[str, Any]


def part_filename(part: str) -> str:
    """``model.safetensors`` for the generator (what the Hub expects), ``<part>.safetensors`` otherwise."""
    return "model.safetensors" if part == GENERATOR else f"{part}.safetensors"
