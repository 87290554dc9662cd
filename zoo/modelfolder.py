"""Model folders: named parts built from the registry, weights in safetensors, Hugging Face layout.

A folder holds ``model.safetensors`` (the ``generator`` part), one ``<part>.safetensors`` per other
part, ``config.json`` (format version, each part's registered backbone name, build arguments and
file, free-form ``info``), an optional ``recipe.yaml`` (provenance) and a ``README.md`` model card.
Everything needed to rebuild a part is its registered name and arguments, so a folder never
carries code and never needs a file of the machine that made it: weight paths inside arguments
are cleared (their tensors are in the folder) and kept in ``info["weights_sources"]``.

Loading is strict and from safetensors only; pickle files are refused because unpickling runs
arbitrary code. torch is imported only where tensors are touched, so reading a config (``zoo
pull``, ``zoo push``) stays fast.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import SafetensorError

from zoo.errors import ComponentNotFound, WeightsError, ZooError
from zoo.responsible_use import card_section
from zoo.statedict import describe_mismatches

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = [
    "CONFIG_NAME",
    "FORMAT_VERSION",
    "LIBRARY_NAME",
    "PICKLE_SUFFIXES",
    "ModelFolder",
    "ModelFolderError",
    "PartSpec",
    "check_part_files",
    "load_model_folder",
    "part_filename",
    "read_config",
    "save_model_folder",
]

FORMAT_VERSION = 1
LIBRARY_NAME = "faceswap-zoo"
CONFIG_NAME = "config.json"
RECIPE_NAME = "recipe.yaml"
CARD_NAME = "README.md"
SAMPLE_GRID_NAME = "sample_grid.png"
GENERATOR = "generator"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
_PART_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_WEIGHTS_FILE = re.compile(r"^[A-Za-z0-9_.\-]+\.safetensors$")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


def pickle_refusal(path: Path | str) -> str:
    return f"{path}: pickle-based weights are never loaded (arbitrary code execution); convert to safetensors"


# -- saving ------------------------------------------------------------------------------------


def save_model_folder(
    directory: Path | str,
    parts: Mapping[str, nn.Module],
    specs: Mapping[str, PartSpec],
    info: Mapping[str, Any],
    recipe_text: str | None = None,
    sample_grid: Path | str | None = None,
    license: str = "other",  # noqa: A002 - the Hub's metadata key
    overwrite: bool = False,
) -> Path:
    """Write a model folder; it appears complete or not at all (built aside, then renamed in).

    Each part must rebuild from its spec (checked here by building it), so a folder that saves
    always loads. Returns the folder's path.
    """
    target = Path(directory).expanduser()
    _check_parts(parts, specs)
    if target.exists() and not target.is_dir():
        raise ModelFolderError(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ModelFolderError(f"{target}: folder exists and is not empty (pass overwrite=True to replace it)")
    grid = _checked_png(Path(sample_grid).expanduser()) if sample_grid is not None else None

    info_out = dict(info)
    sources: dict[str, Any] = dict(info_out.get("weights_sources") or {})
    config_parts: dict[str, dict[str, Any]] = {}
    for part, spec in specs.items():
        args = _strip_weights(spec.args, part, sources)
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
    staging = _sibling(target, "partial")
    try:
        for part, module in parts.items():
            _save_weights(module, staging / part_filename(part))
        _write_text(staging / CONFIG_NAME, config_text)
        if recipe_text is not None:
            _write_text(staging / RECIPE_NAME, recipe_text)
        if grid is not None:
            shutil.copyfile(grid, staging / SAMPLE_GRID_NAME)
            _fsync(staging / SAMPLE_GRID_NAME)
        card = render_card(target.name, config, {p: parts[p] for p in specs}, has_grid=grid is not None,
                           has_recipe=recipe_text is not None, license=license)
        _write_text(staging / CARD_NAME, card)
        _publish(staging, target)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, (OSError, SafetensorError)):  # a full disk, a read-only folder
            raise ModelFolderError(f"{target}: could not write the model folder ({error}); nothing was written") from None
        raise
    return target


def _check_parts(parts: Mapping[str, nn.Module], specs: Mapping[str, PartSpec]) -> None:
    from torch import nn

    if set(parts) != set(specs):
        raise ModelFolderError(f"parts {sorted(parts)} and specs {sorted(specs)} must name the same parts")
    if GENERATOR not in parts:
        raise ModelFolderError(f"a model folder needs a '{GENERATOR}' part (it becomes model.safetensors)")
    for part, module in parts.items():
        if not _PART_NAME.match(part) or part == "model":
            raise ModelFolderError(f"part name {part!r}: use lower-case letters, digits and '_' (not 'model')")
        if not isinstance(module, nn.Module):
            raise ModelFolderError(f"part '{part}' is a {type(module).__name__}, not a torch module")


def _strip_weights(args: Any, where: str, sources: dict[str, Any]) -> Any:
    """Copy of ``args`` with every ``weights`` entry set to None, the original recorded in ``sources``."""
    if isinstance(args, Mapping):
        out = {}
        for key, value in args.items():
            path = f"{where}.{key}"
            if key == "weights" and value is not None:
                sources[path] = value
                out[key] = None
            else:
                out[key] = _strip_weights(value, path, sources)
        return out
    if isinstance(args, list | tuple):
        return [_strip_weights(value, f"{where}[{i}]", sources) for i, value in enumerate(args)]
    return args


def _verify_rebuild(part: str, module: nn.Module, name: str, args: dict[str, Any]) -> Any:
    """Build the part from (name, args) and check it has exactly the module's tensors."""
    from torch import nn

    from zoo.registry import default_registry

    component = default_registry().get("backbone", name)
    try:
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
    _fsync(path)


def _checked_png(path: Path) -> Path:
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(_PNG_MAGIC))
    except OSError as error:
        raise ModelFolderError(f"sample grid {path}: cannot be read ({error.strerror})") from None
    if magic != _PNG_MAGIC:
        raise ModelFolderError(f"sample grid {path}: not a PNG file")
    return path


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    _fsync(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- the model card ----------------------------------------------------------------------------

_CARD_INFO_SKIPPED = ("name", "stages", "metrics", "weights_sources", "training_data")


def render_card(
    title: str,
    config: Mapping[str, Any],
    parts: Mapping[str, nn.Module],
    has_grid: bool,
    has_recipe: bool,
    license: str,  # noqa: A002 - the Hub's metadata key
) -> str:
    """The README.md model card: Hub metadata (YAML) plus parts, stages, metrics, samples, provenance."""
    from huggingface_hub import ModelCard, ModelCardData

    info = config["info"]
    names = sorted({spec["name"] for spec in config["parts"].values()})
    data = ModelCardData(library_name=LIBRARY_NAME, license=license, tags=["face-swap", LIBRARY_NAME, *names])
    name = str(info.get("name") or title)
    lines = [
        f"# {name}",
        "",
        "A face-swap model made with faceswap-zoo. Load it in Python with "
        f'`zoo.from_pretrained("<repo or folder>")`, or swap faces in photos with '
        "`zoo swap --model <repo or folder> --source A.jpg --target B.jpg -o out.png`.",
        "",
        "## Parts",
        "",
        _table(
            ("part", "backbone", "file", "parameters"),
            [
                (part, spec["name"], spec["file"], f"{sum(p.numel() for p in parts[part].parameters()):,}")
                for part, spec in config["parts"].items()
            ],
        ),
    ]
    details = [(key, _cell_value(value)) for key, value in info.items() if key not in _CARD_INFO_SKIPPED]
    if details:
        lines += ["", "## Details", "", _table(("key", "value"), details)]
    stages = info.get("stages")
    if isinstance(stages, list) and stages:
        rows = [stage if isinstance(stage, Mapping) else {"stage": stage} for stage in stages]
        columns = list(dict.fromkeys(key for row in rows for key in row))
        lines += ["", "## Stages trained", "", _table(("#", *columns), [
            (str(i), *(_cell_value(row.get(column, "")) for column in columns)) for i, row in enumerate(rows, 1)
        ])]
    metrics = info.get("metrics")
    if isinstance(metrics, Mapping) and metrics:
        lines += ["", "## Metrics", "", _table(("metric", "value"), [(k, _cell_value(v)) for k, v in metrics.items()])]
    if has_grid:
        lines += ["", "## Samples", "", f"![sample grid]({SAMPLE_GRID_NAME})"]
    sources = info.get("weights_sources")
    if sources:
        lines += [
            "",
            "## Weights provenance",
            "",
            "Pretrained weights these parts started from; their tensors are stored in this folder.",
            "",
            _table(("argument", "source"), [(key, _cell_value(value)) for key, value in sources.items()]),
        ]
    files = [f"`{CONFIG_NAME}` (parts, build arguments, format version)"]
    files += [f"`{spec['file']}` ({part})" for part, spec in config["parts"].items()]
    if has_recipe:
        files.append(f"`{RECIPE_NAME}` (the recipe that trained it)")
    lines += ["", *card_section(info)]
    lines += ["", "## Files", "", *(f"- {entry}" for entry in files), ""]
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines)))


def _cell_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=False)


def _table(header: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(out)


# -- loading -----------------------------------------------------------------------------------


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
    if not config_path.is_file():
        _refuse_pickles(folder)
        raise ModelFolderError(f"{folder}: not a model folder (no {CONFIG_NAME})")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
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
        if not (folder / spec["file"]).is_file():
            _refuse_pickles(folder)
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
        if not isinstance(file, str) or not _WEIGHTS_FILE.match(file):
            raise ModelFolderError(f"{where}: {key}.file must name a .safetensors file in the folder, got {file!r}")
    if not isinstance(config.get("info", {}), dict):
        raise ModelFolderError(f"{where}: 'info' must be an object")


def load_model_folder(path: Path | str, parts: Iterable[str] = (GENERATOR,)) -> ModelFolder:
    """Build the requested parts from their registered names and load their weights strictly."""
    folder = Path(path).expanduser()
    config = read_config(folder)
    config_path = folder / CONFIG_NAME
    available = config["parts"]
    loaded: dict[str, nn.Module] = {}
    for part in parts:
        if part not in available:
            raise ModelFolderError(f"{config_path}: no part '{part}' (parts: {', '.join(available)})")
        spec = available[part]
        check_part_files(folder, {"parts": {part: spec}})
        module = _build_part(part, spec, config_path)
        _load_strict(module, folder / spec["file"], f"backbone '{spec['name']}' (part '{part}')")
        loaded[part] = module.eval()
    return ModelFolder(path=folder, config=config, parts=loaded, info=dict(config.get("info", {})))


def _refuse_pickles(folder: Path) -> None:
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise WeightsError(pickle_refusal(folder / pickles[0]))


def _build_part(part: str, spec: dict[str, Any], config_path: Path) -> nn.Module:
    from torch import nn

    from zoo.registry import default_registry

    name = spec["name"]
    try:
        component = default_registry().get("backbone", name)
    except ComponentNotFound:
        package = spec.get("package")
        install = f"pip install {package}" if package else "pip install the package that provides it"
        raise ComponentNotFound(
            f"{config_path}: backbone '{name}' (part '{part}') is not installed: the model needs a plugin "
            f"that registers it ({install}; `zoo list backbone`)"
        ) from None
    try:
        module = component.build(**spec.get("args", {}))
    except ComponentNotFound as error:
        raise ComponentNotFound(f"{config_path}: part '{part}' (backbone '{name}') needs a component that is not installed: {error}") from None
    except ZooError as error:
        raise ModelFolderError(f"{config_path}: part '{part}': {error}") from None
    if not isinstance(module, nn.Module):
        raise ModelFolderError(f"{config_path}: part '{part}': backbone '{name}' does not build a torch module")
    return module


def _load_strict(module: nn.Module, path: Path, what: str) -> None:
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as error:
        raise WeightsError(f"{path}: not a valid safetensors file ({error})") from None
    problems = describe_mismatches(module.state_dict(), tensors)
    if problems:
        raise WeightsError(f"{path}: weights do not fit {what}: {'; '.join(problems)}")
    module.load_state_dict(tensors, strict=True)
