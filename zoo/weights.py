"""Weights: one grammar for where they come from, one strict safetensors loader.

A ``weights`` argument is a local path, ``hf://org/repo[@revision]/path/file.safetensors`` (the
Hugging Face Hub, cached by huggingface_hub) or an ``https://`` URL (cached in torch hub's
``checkpoints``). Pickle checkpoints are refused by name before anything is downloaded and by
content before anything is parsed: unpickling runs arbitrary code, and weights are data. Loading
is strict — a file that does not fit names what is missing, left over or of another shape, and a
non-finite tensor is refused — so a wrong or broken file never trains or swaps with random layers.

torch, safetensors and huggingface_hub are imported on use: the CLI's listing paths import this.
"""

from __future__ import annotations

import struct
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from zoo.errors import WeightsError
from zoo.statedict import describe_mismatches

if TYPE_CHECKING:
    from pydantic import BaseModel
    from torch import nn

__all__ = [
    "HF_PREFIX", "HF_GRAMMAR", "REMOTE_PREFIXES", "PICKLE_SUFFIXES", "HubFile", "parse_hf", "pickle_refusal", "resolve_weights",
    "load_strict", "WeightsMarker", "weights_fields", "map_weights",
]

HF_PREFIX = "hf://"
#: File names that mean ``torch.save``/pickle (``torch.save`` writes a zip; ``.bin`` is transformers' pickle).
PICKLE_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".pkl", ".zip", ".tar")
_URL_PREFIXES = ("http://", "https://")
REMOTE_PREFIXES = (HF_PREFIX, *_URL_PREFIXES)
HF_GRAMMAR = "hf://org/repo[@revision]/path/file.safetensors"


@dataclass(frozen=True)
class HubFile:
    """A file in a Hub repo, as ``hf://org/repo[@revision]/path`` names it."""

    repo_id: str
    filename: str
    revision: str | None = None


def parse_hf(spec: str) -> HubFile:
    """Split ``hf://org/repo[@revision]/path/in/repo``; anything else is a :class:`WeightsError`."""
    org, _, rest = spec.removeprefix(HF_PREFIX).partition("/")
    repo, _, filename = rest.partition("/")
    repo, at, revision = repo.partition("@")
    if not (spec.startswith(HF_PREFIX) and org and repo and all(filename.split("/")) and (revision or not at)):
        raise WeightsError(f"weights {spec!r} must look like {HF_GRAMMAR}")
    return HubFile(f"{org}/{repo}", filename, revision or None)


@dataclass(frozen=True)
class WeightsMarker:
    """Schema marker: this argument names a weights file (``zoo.paths.WeightsLocation`` carries it).

    The marker, not the argument's name, is what a model folder looks for: it clears such arguments
    when it saves (the tensors are in the folder) and confines them to the folder when it loads an
    untrusted config; ``build_frozen`` warns when a frozen network's is unset.
    """


def _carries_marker(annotation: Any) -> bool:
    if any(isinstance(item, WeightsMarker) for item in getattr(annotation, "__metadata__", ())):
        return True
    return any(_carries_marker(inner) for inner in typing.get_args(annotation))  # inside Optional / unions


def weights_fields(schema: type[BaseModel]) -> list[str]:
    """The arguments of a component schema that name weights files."""
    return [name for name, info in schema.model_fields.items()
            if any(isinstance(item, WeightsMarker) for item in info.metadata) or _carries_marker(info.annotation)]


def map_weights(kind: str, name: str, args: Mapping[str, Any], where: str,
                change: Callable[[str, Any], Any]) -> dict[str, Any]:
    """``args`` of component ``kind``/``name`` with ``change(path, value)`` applied to each weights argument.

    References (``identity: {name: mobilefacenet, weights: ...}``) are followed into the referenced
    component's own schema. An unknown component is left as it is: building it reports that.
    """
    from zoo.errors import ZooError
    from zoo.refs import ref_marker
    from zoo.registry import default_registry

    try:
        schema = default_registry().get(kind, name).schema()
    except ZooError:
        return dict(args)
    marked = set(weights_fields(schema))
    out: dict[str, Any] = {}
    for key, value in args.items():
        path = f"{where}.{key}"
        info = schema.model_fields.get(key)
        reference = ref_marker(info.metadata) if info is not None else None
        if key in marked:
            out[key] = change(path, value)
        elif reference is not None and isinstance(value, Mapping) and isinstance(value.get("name"), str):
            inner = {k: v for k, v in value.items() if k != "name"}
            out[key] = {"name": value["name"], **map_weights(reference.kind, value["name"], inner, path, change)}
        else:
            out[key] = value
    return out


def pickle_refusal(location: Path | str) -> str:
    """The one message for a pickle checkpoint, wherever it is found (argument, model folder, Hub repo)."""
    return f"{location}: pickle-based weights are never loaded (arbitrary code execution); convert to safetensors"


def resolve_weights(spec: str | Path, *, what: str) -> Path:
    """A local safetensors file for ``spec``, downloaded (once per machine) when it is remote.

    ``what`` names the component in error messages.
    """
    text = str(spec)
    name = urlparse(text).path if text.startswith(_URL_PREFIXES) else text
    if name.lower().endswith(PICKLE_SUFFIXES):
        raise WeightsError(f"{what}: {pickle_refusal(text)}")
    if text.startswith(HF_PREFIX):
        return _from_hub(text, what)
    if text.startswith(_URL_PREFIXES):
        return _from_url(text, what)
    path = Path(text).expanduser()
    if not path.is_file():
        raise WeightsError(f"{what}: weights file not found: {path}")
    return path


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _from_hub(spec: str, what: str) -> Path:
    file = parse_hf(spec)
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(file.repo_id, file.filename, revision=file.revision))
    except LocalEntryNotFoundError:
        raise WeightsError(f"{what}: cannot download {spec}: offline and not in the Hugging Face cache") from None
    except (HfHubHTTPError, OSError, ValueError) as error:
        raise WeightsError(f"{what}: cannot download {spec}: {_first_line(error)}") from None


def _from_url(url: str, what: str) -> Path:
    import torch.hub

    name = Path(urlparse(url).path).name
    target = Path(torch.hub.get_dir()) / "checkpoints" / (name or "weights.safetensors")
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            torch.hub.download_url_to_file(url, str(target), progress=True)
        except (OSError, ValueError) as error:
            raise WeightsError(f"{what}: cannot download {url}: {_first_line(error)}") from None
    return target


def _is_pickle(path: Path) -> bool:
    """A zip (``torch.save``) or a bare pickle (protocol 2+) under any name — never a safetensors file.

    A safetensors file starts with its header's length (8 bytes, little-endian) and then ``{``: those
    first bytes may happen to read ``PK`` or ``\\x80``, so the header is checked first.
    """
    with path.open("rb") as handle:
        head = handle.read(9)
    safetensors = len(head) == 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] <= path.stat().st_size - 8
    return not safetensors and (head[:2] == b"PK" or head[:1] == b"\x80")


def load_strict(module: nn.Module, path: Path, *, what: str) -> None:
    """Load ``path`` into ``module``: every tensor matches by name and shape, none is left over, all are finite."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if _is_pickle(path):
        raise WeightsError(pickle_refusal(path))
    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as error:
        raise WeightsError(f"{path}: not a valid safetensors file ({error})") from None
    problems = describe_mismatches(module.state_dict(), tensors)
    if problems:
        raise WeightsError(f"{path}: weights do not fit {what}: {'; '.join(problems)}")
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise WeightsError(f"{path}: tensor '{name}' holds NaN or infinite values: the model is broken, "
                               "refusing to use it")
    module.load_state_dict(tensors, strict=True)
