"""Argument types for paths that must exist, so a recipe's ``--dry-run`` catches a missing folder or file.

Component arguments are validated against their schemas when a recipe loads, so a path typed
here is checked then, with the recipe's file, line and YAML path, before anything trains or
downloads. Remote weights (``hf://``, ``http(s)://``) are fetched by the component (:mod:`zoo.weights`);
an ``hf://`` location is checked against its grammar here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticCustomError

from zoo.errors import WeightsError
from zoo.weights import HF_GRAMMAR, HF_PREFIX, PICKLE_SUFFIXES, REMOTE_PREFIXES, WeightsMarker, parse_hf

__all__ = ["ExistingFile", "ExistingFolder", "InputFolderMarker", "WeightsLocation", "input_folder_fields"]


class InputFolderMarker:
    """Schema marker: this argument names a folder the component reads (a dataset's ``root``), which no
    run may write into (:mod:`zoo.outputs`): a run directory there would add its grids and checkpoints
    to the user's photos, and the next survey would count them."""


def input_folder_fields(schema: type[BaseModel]) -> list[str]:
    """The arguments of a component schema typed :data:`ExistingFolder`."""
    return [name for name, info in schema.model_fields.items()
            if any(isinstance(item, InputFolderMarker) for item in info.metadata)]


def _where() -> str:
    return f"relative paths start at {Path.cwd()}"


def _existing_folder(value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_dir():
        what = "is a file, not a folder" if path.is_file() else "no such folder"
        raise PydanticCustomError("path_missing", f"{what} ({_where()})")
    return str(path)  # '~/faces' is checked expanded: the component gets what was checked


def _existing_file_or_remote(value: str) -> str:
    if value.lower().endswith(PICKLE_SUFFIXES):
        raise PydanticCustomError("pickle_weights", "a pickle checkpoint, never loaded (unpickling can run code): "
                                                    "convert it to safetensors")
    if value.startswith(HF_PREFIX):
        try:
            parse_hf(value)
        except WeightsError:
            raise PydanticCustomError("weights_location", f"must look like {HF_GRAMMAR}") from None
    return value if value.startswith(REMOTE_PREFIXES) else _existing_file(value)


def _existing_file(value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "no such file"
        raise PydanticCustomError("path_missing", f"{what} ({_where()})")
    return str(path)


ExistingFolder = Annotated[str, AfterValidator(_existing_folder), InputFolderMarker()]
"""A local folder that must exist when the arguments are validated."""

ExistingFile = Annotated[str, AfterValidator(_existing_file)]
"""A local file that must exist when the arguments are validated."""

WeightsLocation = Annotated[str, AfterValidator(_existing_file_or_remote), WeightsMarker()]
"""A weights file: a local one that must exist, or an ``hf://`` / ``http(s)://`` location fetched later
(see :mod:`zoo.weights`); marked, so model folders know the argument names weights whatever it is called."""
