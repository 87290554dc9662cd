"""Strict safetensors loading for frozen encoders: a local path or ``hf://org/repo/file``.

Pickle checkpoints are never opened: a ``.pth`` can run arbitrary code when unpickled. Loading
is strict so that a wrong architecture fails loudly instead of silently keeping random layers.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from zoo.errors import WeightsError
from zoo.statedict import describe_mismatches

__all__ = ["HF_PREFIX", "parse_hf_url", "resolve_weights", "load_strict"]

HF_PREFIX = "hf://"


def parse_hf_url(url: str) -> tuple[str, str]:
    """Split ``hf://org/repo/path/in/repo.safetensors`` into ``(repo_id, filename)``."""
    parts = url.removeprefix(HF_PREFIX).split("/")
    if len(parts) < 3 or not all(parts):
        raise WeightsError(f"weights {url!r}: expected hf://org/repo/file.safetensors")
    return "/".join(parts[:2]), "/".join(parts[2:])


def resolve_weights(source: str) -> Path:
    """Local file for ``source``; Hub files are downloaded (cached) by huggingface_hub."""
    if not source.startswith(HF_PREFIX):
        path = Path(source).expanduser()
        if not path.is_file():
            raise WeightsError(f"weights {source!r}: no such file")
        return path
    repo_id, filename = parse_hf_url(source)
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(repo_id=repo_id, filename=filename))
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise WeightsError(f"weights {source!r}: cannot download from the Hub ({reason})") from None


def load_strict(module: torch.nn.Module, source: str, component: str) -> None:
    """Load every tensor of ``module`` from ``source``; any difference raises :class:`WeightsError`."""
    path = resolve_weights(source)
    try:
        loaded = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise WeightsError(f"weights {source!r}: not a safetensors file ({error})") from None
    problems = describe_mismatches(module.state_dict(), loaded)
    if problems:
        raise WeightsError(f"weights {source!r} do not fit {component}: " + "; ".join(problems))
    module.load_state_dict(loaded, strict=True)
