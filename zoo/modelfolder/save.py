"""Writing a model folder: every part verified to rebuild, files staged aside, then renamed in."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import SafetensorError

from zoo.atomic import fsync_dir, fsync_file, new_file_mode
from zoo.errors import ComponentNotFound, ZooError
from zoo.frozen import weights_follow
from zoo.modelfolder.card import render_card
from zoo.modelfolder.layout import (
    CARD_NAME,
    CONFIG_NAME,
    FORMAT_VERSION,
    GENERATOR,
    LIBRARY_NAME,
    PART_NAME,
    PNG_MAGIC,
    RECIPE_NAME,
    SAMPLE_GRID_NAME,
    ModelFolderError,
    PartSpec,
    part_filename,
)
from zoo.statedict import describe_mismatches
from zoo.weights import map_weights

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = ["check_replaceable", "save_model_folder", "strip_weights"]


def save_model_folder(
    directory: Path | str,
    parts: Mapping[str, nn.Module],
    specs: Mapping[str, PartSpec],
    info: Mapping[str, Any],
    recipe_text: str | None = None,
    sample_grid: Path | str | None = None,
    license: str = "other",  # noqa: A002 - the Hub's metadata key
    overwrite: bool = False,
    card_intro: str | None = None,
    card_tags: Sequence[str] = (),
) -> Path:
    """Write a model folder; it appears complete or not at all (built aside, then renamed in).

    ``card_intro`` (the model card's first paragraph) and ``card_tags`` say what the model is;
    the exporter knows, the core does not.

    Each part must rebuild from its spec (checked here by building it), so a folder that saves
    always loads. Returns the folder's path.
    """
    target = Path(directory).expanduser()
    _check_parts(parts, specs)
    if target.exists() and not target.is_dir():
        raise ModelFolderError(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ModelFolderError(f"{target}: folder exists and is not empty (pass overwrite=True to replace it)")
    check_replaceable(target)
    grid = _checked_png(Path(sample_grid).expanduser()) if sample_grid is not None else None

    info_out = dict(info)
    sources: dict[str, Any] = dict(info_out.get("weights_sources") or {})
    config_parts: dict[str, dict[str, Any]] = {}
    for part, spec in specs.items():
        args = strip_weights("backbone", spec.name, spec.args, part, sources)
        component = _verify_rebuild(part, parts[part], spec.name, args)
        config_parts[part] = {
            "kind": "backbone",
            "name": spec.name,
            "args": args,
            "file": part_filename(part),
            "package": component.distribution,
        }
    if sources:
        info_out["weights_sources"] = sources
    from zoo import __version__

    config = {
        "format_version": FORMAT_VERSION,
        "library_name": LIBRARY_NAME,
        "library_version": __version__,
        "parts": config_parts,
        "info": info_out,
    }
    try:
        config_text = json.dumps(config, indent=2, sort_keys=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as error:
        raise ModelFolderError(f"{target}: info and part arguments must be plain JSON values ({error})") from None

    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_siblings(target)
    staging = _sibling(target, "partial")
    try:
        for part, module in parts.items():
            _save_weights(module, staging / part_filename(part))
        _write_text(staging / CONFIG_NAME, config_text)
        if recipe_text is not None:
            _write_text(staging / RECIPE_NAME, recipe_text)
        if grid is not None:
            shutil.copyfile(grid, staging / SAMPLE_GRID_NAME)
            fsync_file(staging / SAMPLE_GRID_NAME)
        card = render_card(target.name, config, {p: parts[p] for p in specs}, has_grid=grid is not None,
                           has_recipe=recipe_text is not None, license=license, intro=card_intro, tags=card_tags)
        _write_text(staging / CARD_NAME, card)
        _publish(staging, target)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, (OSError, SafetensorError)):  # a full disk, a read-only folder
            raise ModelFolderError(f"{target}: could not write the model folder ({error}); nothing was written") from None
        raise
    return target


def check_replaceable(target: Path) -> None:
    """Only a model folder may be replaced: a folder holding anything else belongs to the user.

    ``overwrite=True`` (and the ``export`` stage) replaces a new or empty folder or a faceswap-zoo
    model folder holding nothing but its own files; it refuses, say, ``notes.txt`` or a foreign model.
    """
    if target.exists() and not target.is_dir():
        raise ModelFolderError(f"{target}: exists and is not a folder")
    if not target.is_dir():
        return
    names = sorted(entry.name for entry in target.iterdir())
    if not names:
        return
    own = {CONFIG_NAME, RECIPE_NAME, CARD_NAME, SAMPLE_GRID_NAME}
    foreign = [name for name in names if name not in own and not name.endswith(".safetensors")]
    try:
        library = json.loads((target / CONFIG_NAME).read_text(encoding="utf-8")).get("library_name")
    except (OSError, ValueError, AttributeError):
        library = None
    if foreign or library != LIBRARY_NAME:
        listed = ", ".join((foreign or names)[:3]) + (", ..." if len(foreign or names) > 3 else "")
        raise ModelFolderError(f"{target}: holds files that are not a faceswap-zoo model folder ({listed}); "
                               "nothing was replaced: choose a new or empty folder")


def _check_parts(parts: Mapping[str, nn.Module], specs: Mapping[str, PartSpec]) -> None:
    from torch import nn

    if set(parts) != set(specs):
        raise ModelFolderError(f"parts {sorted(parts)} and specs {sorted(specs)} must name the same parts")
    if GENERATOR not in parts:
        raise ModelFolderError(f"a model folder needs a '{GENERATOR}' part (it becomes model.safetensors)")
    for part, module in parts.items():
        if not PART_NAME.match(part) or part == "model":
            raise ModelFolderError(f"part name {part!r}: use lower-case letters, digits and '_' (not 'model')")
        if not isinstance(module, nn.Module):
            raise ModelFolderError(f"part '{part}' is a {type(module).__name__}, not a torch module")


def strip_weights(kind: str, name: str, args: Mapping[str, Any], where: str, sources: dict[str, Any]) -> dict[str, Any]:
    """Copy of a component's ``args`` with every weights argument set to None, the original kept in ``sources``.

    Weights arguments are the ones their schema marks (:class:`zoo.weights.WeightsMarker`), also
    inside references to other components.
    """
    def clear(path: str, value: Any) -> None:
        if value is not None:
            sources[path] = value

    return map_weights(kind, name, args, where, clear)


def _verify_rebuild(part: str, module: nn.Module, name: str, args: dict[str, Any]) -> Any:
    """Build the part from (name, args) and check it has exactly the module's tensors."""
    from torch import nn

    from zoo.registry import default_registry

    component = default_registry().get("backbone", name)
    try:
        with weights_follow():  # the folder will hold the frozen networks' tensors
            rebuilt = component.build(**args)
    except ComponentNotFound:
        raise
    except ZooError as error:
        raise ModelFolderError(f"part '{part}': {error}") from None
    if not isinstance(rebuilt, nn.Module):
        raise ModelFolderError(f"part '{part}': backbone '{name}' does not build a torch module")
    problems = describe_mismatches(rebuilt.state_dict(), module.state_dict(), found_as="module", expected_as="rebuilt")
    if problems:
        raise ModelFolderError(
            f"part '{part}': backbone '{name}' built from the given args does not match the module "
            f"(the folder could not be loaded): {'; '.join(problems)}"
        )
    return component


def _save_weights(module: nn.Module, path: Path) -> None:
    """State dict to safetensors; tensors sharing storage (tied weights) are saved as copies."""
    from safetensors.torch import save_file

    tensors: dict[str, torch.Tensor] = {}
    storages: set[int] = set()
    for name, tensor in module.state_dict().items():
        tensor = tensor.detach().cpu().contiguous()
        storage = tensor.untyped_storage().data_ptr()
        if storage in storages:
            tensor = tensor.clone()
        storages.add(tensor.untyped_storage().data_ptr())
        tensors[name] = tensor
    save_file(tensors, str(path), metadata={"format": "pt"})
    os.chmod(path, new_file_mode())  # the Rust writer makes it 0o600: a shared model folder must be readable
    fsync_file(path)


def _checked_png(path: Path) -> Path:
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(PNG_MAGIC))
    except OSError as error:
        raise ModelFolderError(f"sample grid {path}: cannot be read ({error.strerror})") from None
    if magic != PNG_MAGIC:
        raise ModelFolderError(f"sample grid {path}: not a PNG file")
    return path


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    fsync_file(path)


def _remove_stale_siblings(target: Path) -> None:
    """Staging folders a killed save left beside ``target`` (only names :func:`_sibling` makes)."""
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.(partial|old)$")
    for entry in target.parent.iterdir():
        if pattern.match(entry.name) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _sibling(target: Path, label: str) -> Path:
    """A new hidden folder beside ``target`` (same file system, so the final rename is atomic)."""
    path = target.parent / f".{target.name}.{secrets.token_hex(4)}.{label}"
    path.mkdir()
    return path


def _publish(staging: Path, target: Path) -> None:
    """Rename the finished folder into place; an old folder is moved aside first, then removed."""
    old = None
    if target.is_dir():
        if any(target.iterdir()):
            old = target.parent / f".{target.name}.{secrets.token_hex(4)}.old"
            os.replace(target, old)
        else:
            target.rmdir()
    os.replace(staging, target)
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
