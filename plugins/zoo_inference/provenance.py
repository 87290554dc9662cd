"""Provenance written into every image ``zoo swap`` outputs: made by faceswap-zoo, with which model.

A swapped photo is synthetic media. Saying so inside the file (PNG text chunks; EXIF
``Software`` and ``ImageDescription`` for JPEG/WebP/TIFF) lets anyone who receives it find out,
with ordinary tools (``exiftool``, PIL), that a face was replaced and by which model revision.
The IPTC digital-source-type term is the one news and platform tooling looks for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DIGITAL_SOURCE_TYPE", "MADE_BY", "read_provenance", "swap_provenance"]

MADE_BY = "faceswap-zoo"
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
_WEIGHTS = "model.safetensors"


def _revision(folder: Path, revision: str | None) -> str:
    """The Hub commit a snapshot folder is named after, else the weights' own digest (local folders)."""
    if folder.parent.name == "snapshots":
        return folder.name
    weights = folder / _WEIGHTS
    if weights.is_file():
        digest = hashlib.sha256()
        with weights.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return f"sha256:{digest.hexdigest()[:16]}"
    return revision or "unknown"


def swap_provenance(
    model: str | None = None, folder: Path | None = None, revision: str | None = None
) -> dict[str, str]:
    """The text written into a swapped image; ``model`` as the user named it (a Hub id or a folder)."""
    from zoo import __version__

    fields = {
        "Software": f"{MADE_BY} {__version__}",
        "Description": "AI face swap: a face in this image was replaced by a face-swap model (synthetic media)",
        "DigitalSourceType": DIGITAL_SOURCE_TYPE,
        "faceswap-zoo:made_by": MADE_BY,
    }
    if model is not None:
        fields["faceswap-zoo:model"] = str(model)
        fields["faceswap-zoo:revision"] = _revision(folder, revision) if folder is not None else revision or "unknown"
    return fields


def read_provenance(path: str | Path) -> dict[str, str]:
    """What :func:`swap_provenance` wrote into ``path`` (empty when the image carries none)."""
    from PIL import Image

    with Image.open(path) as image:
        if image.format == "PNG":
            return {key: str(value) for key, value in image.text.items()}
        description = image.getexif().get(0x010E)
    try:
        found = json.loads(description) if description else {}
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, Mapping) else {}
