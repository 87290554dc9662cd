"""Where the identity comes from: one source photo, several (``-s a.jpg -s b.jpg``) or a folder of them.

One photo carries its pose, light and expression into the identity embedding; several photos of the
same person averaged (the normalised mean of the generator's own embeddings, ``identity_of``) keep
what they share, which is the person. The first photo's aligned face still enters the generator's
encoder beside the template, exactly as with a single source, so one photo swaps as it always did.

A generator without an embedding to average (a plugin's, or one run through ONNX Runtime) is refused
several sources with one line rather than silently using only the first: the user asked for an
average and would not get one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from zoo.errors import ZooError

if TYPE_CHECKING:
    from zoo_inference.swap import FaceSwapper

__all__ = ["SwapSource", "expand_sources", "load_source", "source_inputs"]


@dataclass(frozen=True)
class SwapSource:
    """What a swap transplants: an aligned face for the encoder and, for several photos, their identity."""

    face: torch.Tensor
    """1×3×R×R in [0, 1]: the first source photo's largest face, aligned at the model's input resolution."""
    identity: torch.Tensor | None = None
    """1×D averaged identity embedding (several photos); None lets the generator embed ``face`` itself."""
    photos: tuple[Path, ...] = ()


def expand_sources(sources: Path | Sequence[Path]) -> list[Path]:
    """The source photos ``-s`` names, in order: files as given, a folder's images sorted by name.

    Each problem is one :class:`ZooError` line naming the path: missing, an empty folder, a repeat.
    """
    from zoo_inference.swap import IMAGE_SUFFIXES

    given = [Path(sources)] if isinstance(sources, (str, Path)) else [Path(path) for path in sources]
    if not given:
        raise ZooError("give a source photo with -s (repeat -s, or name a folder, to average several)")
    photos: list[Path] = []
    for path in given:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise ZooError(f"source folder {path} has no images ({', '.join(IMAGE_SUFFIXES)})")
            photos.extend(found)
        elif path.is_file():
            photos.append(path)
        elif path.exists():
            raise ZooError(f"source photo {path}: not a regular file (a FIFO, socket or device)")
        else:
            raise ZooError(f"source photo {path}: no such file or folder")
    seen: set[Path] = set()
    for photo in photos:
        if photo.resolve() in seen:
            raise ZooError(f"source photo {photo} is given twice: each photo counts once in the average")
        seen.add(photo.resolve())
    return photos


def source_inputs(sources: Path | Sequence[Path]) -> list[tuple[str, Path]]:
    """The ``-s`` paths as inputs no output may overwrite (:mod:`zoo.outputs`)."""
    given = [Path(sources)] if isinstance(sources, (str, Path)) else [Path(path) for path in sources]
    return [("source folder" if path.is_dir() else "source photo", path) for path in given]


def load_source(swapper: FaceSwapper, photos: Sequence[Path]) -> SwapSource:
    """Detect and align every source photo; average their identities when there are several.

    A photo without a face is named (``source photo X has no face``); several photos need a
    generator with ``identity_of``, checked before any photo is read.
    """
    from zoo_faces.image import load_image

    if len(photos) > 1 and not callable(getattr(swapper.generator, "identity_of", None)):
        raise ZooError(f"{len(photos)} source photos: this model's generator ({type(swapper.generator).__name__}) "
                       "has no identity embedding to average (identity_of); give one -s photo")
    faces = [swapper.source_face(load_image(photo), where=f"source photo {photo}") for photo in photos]
    if len(faces) == 1:
        return SwapSource(faces[0], None, tuple(photos))
    identity = swapper.generator.identity_of(torch.cat(faces).to(swapper.device))  # type: ignore[operator]
    return SwapSource(faces[0], identity.cpu(), tuple(photos))
