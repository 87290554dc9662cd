"""Published pickle checkpoints, made safe once: download, check the pinned SHA-256, convert to safetensors.

retinaface-pytorch publishes its ResNet-50 weights only as a ``torch.save`` pickle (inside a zip).
The zoo never fully unpickles: the file must match its pinned digest, is read with PyTorch's
restricted ``weights_only=True`` unpickler (tensors and plain containers, nothing callable), and
is converted to safetensors in the zoo's cache on first use; every later use reads that file.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from zoo.cache import cache_dir
from zoo.errors import WeightsError
from zoo.progress import Progress

__all__ = ["PublishedCheckpoint", "RESNET50", "converted_weights", "sha256_of"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class PublishedCheckpoint:
    """A checkpoint file its authors publish at ``url``, pinned by ``sha256``.

    ``sha256`` is the full hex digest, or the prefix the authors published in the file name
    (torch.hub's ``name-<sha256 prefix>.ext`` convention, which ``check_hash`` verifies) when no
    full digest is published. ``argument`` and ``env`` name how a user supplies a local copy;
    ``mirror_env`` names a variable holding another URL serving the same file (same pin).
    """

    name: str
    url: str
    sha256: str
    argument: str
    env: str
    mirror_env: str

    def source_url(self) -> str:
        return os.environ.get(self.mirror_env) or self.url

    def converted_path(self) -> Path:
        return cache_dir("weights", f"{self.name}.safetensors")

    def download_path(self) -> Path:
        return cache_dir("downloads", Path(self.url).name)


RESNET50 = PublishedCheckpoint(
    name="retinaface_resnet50_2020-07-20",
    url="https://github.com/ternaus/retinaface/releases/download/0.01/retinaface_resnet50_2020-07-20-f168fae3c.zip",
    # The authors publish no full digest; this is the prefix in the file name (torch.hub convention).
    sha256="f168fae3c",
    argument="checkpoint",
    env="ZOO_RETINAFACE_CHECKPOINT",
    mirror_env="ZOO_RETINAFACE_URL",
)
"""retinaface-pytorch's ResNet-50 (``retinaface.pre_trained_models``, MIT, trained on WIDER FACE)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def converted_weights(published: PublishedCheckpoint, *, local: str | None, what: str) -> Path:
    """The safetensors file for ``published``: converted once from a local copy or a download.

    ``local`` (the component's argument, else the ``env`` variable) names a copy the user already
    has, for machines without internet; it is held to the same pin as a download.
    """
    converted = published.converted_path()
    if converted.is_file():
        return converted
    local = local or os.environ.get(published.env) or None
    if local is not None:
        source = Path(local).expanduser()
        if not source.is_file():
            raise WeightsError(f"{what}: {published.argument}={source}: file not found")
    else:
        source = _download(published, what)
    _check_pin(published, source, what, downloaded=local is None)
    _convert(_read_restricted(source, what), converted)
    return converted


def _offline_hint(published: PublishedCheckpoint) -> str:
    return (f"download {published.url} where there is internet and pass -a {published.argument}=PATH "
            f"(zoo swap/detect/prepare; {published.argument}= in a recipe) or set {published.env}=PATH")


def _download(published: PublishedCheckpoint, what: str) -> Path:
    target = published.download_path()
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    url = published.source_url()
    try:
        with urllib.request.urlopen(url, timeout=30) as response, partial.open("wb") as out:
            length = response.headers.get("Content-Length")
            with Progress(f"downloading {Path(url).name}", int(length) if length else None, unit="B",
                          unit_scale=True, leave=False) as progress:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    progress.update(len(chunk))
    except (urllib.error.URLError, OSError, ValueError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", None) or error
        raise WeightsError(f"{what}: cannot download {url} ({reason}); {_offline_hint(published)}") from None
    partial.replace(target)
    return target


def _check_pin(published: PublishedCheckpoint, source: Path, what: str, *, downloaded: bool) -> None:
    digest = sha256_of(source)
    if digest.startswith(published.sha256.lower()):
        return
    if downloaded:
        source.unlink(missing_ok=True)  # a bad download must not be found again next time
    pin = published.sha256 + ("…" if len(published.sha256) < 64 else "")
    raise WeightsError(f"{what}: {source} is not the published checkpoint {published.url}: its SHA-256 is {digest}, "
                       f"the pin is {pin}; refusing to load it")


def _read_restricted(source: Path, what: str) -> dict:
    """The state dict in ``source`` (a ``torch.save`` file, or a zip holding exactly one, as published)."""
    import torch

    payload: Path | io.BytesIO = source
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) == 1:  # torch.hub's "legacy zip": one pickle inside (torch.save's own zips hold many)
                payload = io.BytesIO(archive.read(members[0]))
    try:
        state = torch.load(payload, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise WeightsError(f"{what}: {source} holds more than tensors and was refused by the weights-only "
                           f"unpickler ({_refusal(error)})") from None
    except (RuntimeError, EOFError, OSError) as error:
        raise WeightsError(f"{what}: {source} is not a readable torch checkpoint ({error})") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise WeightsError(f"{what}: {source} is not a state dict (name → tensor)")
    return state


def _refusal(error: pickle.UnpicklingError) -> str:
    """torch's line naming what was refused, not its advice to retry with ``weights_only=False``."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if "GLOBAL" in line or "Unsupported" in line or "unsupported" in line]
    return (named or lines or [type(error).__name__])[0].rstrip(".")


def _convert(state: dict, target: Path) -> None:
    """Write ``state`` as safetensors atomically, so an interrupted conversion is never used."""
    from safetensors.torch import save_file

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    save_file({name: tensor.detach().contiguous().clone() for name, tensor in state.items()}, str(partial))
    partial.replace(target)
