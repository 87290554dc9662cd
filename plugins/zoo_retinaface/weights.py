"""Finding and strictly loading safetensors weights: local path, ``hf://`` or an http(s) URL.

Pickle checkpoints (``.pth``/``.pt``/``.zip``/``.ckpt``/``.bin``) are refused before anything is
downloaded: unpickling runs arbitrary code, and weights are data.
"""

from __future__ import annotations

import struct
from pathlib import Path
from urllib.parse import urlparse

from torch import nn

from zoo.errors import WeightsError

__all__ = ["PICKLE_SUFFIXES", "load_strict", "resolve_weights"]

PICKLE_SUFFIXES = (".pth", ".pt", ".zip", ".ckpt", ".bin", ".pkl", ".tar")
_SHOWN = 5


def resolve_weights(spec: str, *, what: str) -> Path:
    """A local file for ``spec``: a path, ``hf://org/repo[@revision]/file`` or an http(s) URL.

    Downloads go to the usual caches (huggingface_hub's, torch hub's ``checkpoints``), so a file
    is fetched once per machine. ``what`` names the component in error messages.
    """
    if spec.startswith("hf://"):
        return _from_hub(spec, what)
    if spec.startswith(("http://", "https://")):
        return _from_url(spec, what)
    path = Path(spec).expanduser()
    if not path.is_file():
        raise WeightsError(f"{what}: weights file not found: {path}")
    return path


def _from_hub(spec: str, what: str) -> Path:
    parts = spec.removeprefix("hf://").split("/", 2)
    if len(parts) < 3 or not all(parts):
        raise WeightsError(f"{what}: weights {spec!r} must look like hf://org/repo/path/file.safetensors")
    org, repo, filename = parts
    repo, _, revision = repo.partition("@")
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(f"{org}/{repo}", filename, revision=revision or None))
    except LocalEntryNotFoundError:
        raise WeightsError(f"{what}: cannot download {spec}: offline and not in the Hugging Face cache") from None
    except (HfHubHTTPError, OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WeightsError(f"{what}: cannot download {spec}: {first_line}") from None


def _from_url(url: str, what: str) -> Path:
    name = Path(urlparse(url).path).name
    if name.lower().endswith(PICKLE_SUFFIXES):
        raise WeightsError(
            f"{what}: {url} is a pickle checkpoint, which the zoo never loads (unpickling can run code); "
            "pass weights= a .safetensors file (local path, hf://org/repo/file.safetensors or an https URL) — "
            "to convert a checkpoint you trust, run once: "
            "safetensors.torch.save_file(torch.load('model.pth', weights_only=True), 'model.safetensors')"
        )
    import torch.hub

    target = Path(torch.hub.get_dir()) / "checkpoints" / (name or "weights.safetensors")
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            torch.hub.download_url_to_file(url, str(target), progress=True)
        except (OSError, ValueError) as error:
            raise WeightsError(f"{what}: cannot download {url}: {error}") from None
    return target


def _check_safetensors_header(path: Path, what: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(9)
    size = path.stat().st_size
    if head[:2] == b"PK":
        raise WeightsError(f"{what}: {path} is a zip/pickle checkpoint (torch.save), not a safetensors file")
    if len(head) < 9 or head[8:9] != b"{" or struct.unpack("<Q", head[:8])[0] > size - 8:
        raise WeightsError(f"{what}: {path} is not a safetensors file")


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return f"{len(names)} ({shown}{', …' if len(names) > _SHOWN else ''})"


def load_strict(module: nn.Module, path: Path, *, what: str) -> None:
    """Load ``path`` into ``module``; every tensor must match by name and shape, none may be left over."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    _check_safetensors_header(path, what)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise WeightsError(f"{what}: {path} is not a valid safetensors file ({error})") from None
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = [
        f"{name} {tuple(state[name].shape)} vs {tuple(expected[name].shape)}"
        for name in expected
        if name in state and state[name].shape != expected[name].shape
    ]
    problems = []
    if missing:
        problems.append(f"missing keys {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_listing(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatches (file vs model) {_listing(mismatched)}")
    if problems:
        raise WeightsError(f"{what}: {path} does not fit this architecture: " + "; ".join(problems))
    module.load_state_dict(state, strict=True)
