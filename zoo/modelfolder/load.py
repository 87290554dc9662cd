"""Loading a model folder: parts built from their registered names, weights loaded strictly."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import SafetensorError

from zoo.errors import ComponentNotFound, WeightsError, ZooError
from zoo.modelfolder.layout import CONFIG_NAME, GENERATOR, ModelFolder, ModelFolderError
from zoo.modelfolder.validate import check_part_files, read_config
from zoo.statedict import describe_mismatches

if TYPE_CHECKING:
    from torch import nn

__all__ = ["load_model_folder"]


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
