"""Loading a model folder: parts built from their registered names, weights loaded strictly."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import SafetensorError

from zoo.errors import ComponentNotFound, WeightsError, ZooError
from zoo.frozen import weights_follow
from zoo.modelfolder.layout import CONFIG_NAME, GENERATOR, ModelFolder, ModelFolderError
from zoo.modelfolder.validate import check_part_files, confine_weights, read_config
from zoo.statedict import describe_mismatches
from zoo.weights import load_strict

if TYPE_CHECKING:
    from torch import nn

__all__ = ["load_model_folder"]


def load_model_folder(
    path: Path | str, parts: Iterable[str] = (GENERATOR,), allow_external_weights: bool = False
) -> ModelFolder:
    """Build the requested parts from their registered names and load their weights strictly.

    The config is untrusted (it may have been downloaded): each part is first built on the meta
    device and its shapes compared with the weights file's header, so a config asking for a
    model of 10^11 parameters is refused before a byte is allocated; weight paths in arguments
    must stay inside the folder (see :func:`confine_weights`); NaN or infinite weights are refused.
    """
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
        args = confine_weights(spec["name"], spec.get("args", {}), folder, f"parts.{part}.args", allow_external_weights)
        what = f"backbone '{spec['name']}' (part '{part}')"
        _check_shapes(_build_part(part, spec, args, config_path, meta=True), folder / spec["file"], what)
        module = _build_part(part, spec, args, config_path)
        load_strict(module, folder / spec["file"], what=what)
        loaded[part] = module.eval()
    return ModelFolder(path=folder, config=config, parts=loaded, info=dict(config.get("info", {})))


def _build_part(part: str, spec: dict[str, Any], args: dict[str, Any], config_path: Path, meta: bool = False) -> nn.Module:
    import torch
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
        with torch.device("meta") if meta else nullcontext(), weights_follow():  # the folder holds their tensors
            module = component.build(**args)
    except ComponentNotFound as error:
        raise ComponentNotFound(f"{config_path}: part '{part}' (backbone '{name}') needs a component that is not installed: {error}") from None
    except ZooError as error:
        raise ModelFolderError(f"{config_path}: part '{part}': {error}") from None
    if not isinstance(module, nn.Module):
        raise ModelFolderError(f"{config_path}: part '{part}': backbone '{name}' does not build a torch module")
    return module


def _header(path: Path) -> dict[str, Any]:
    """Names and shapes of a safetensors file's tensors, read from its header (no tensor data)."""
    import torch
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            return {name: torch.empty(handle.get_slice(name).get_shape(), device="meta") for name in handle.keys()}
    except (SafetensorError, OSError) as error:
        raise WeightsError(f"{path}: not a valid safetensors file ({error})") from None


def _check_shapes(module: nn.Module, path: Path, what: str) -> None:
    problems = describe_mismatches(module.state_dict(), _header(path))
    if problems:
        raise WeightsError(f"{path}: weights do not fit {what}: {'; '.join(problems)}")
