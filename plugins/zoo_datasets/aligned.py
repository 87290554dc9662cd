"""``aligned``: a folder of already-aligned face crops, optionally one subfolder per person.

This is the layout of the Glint sample and of most face-recognition datasets, so such data is
used directly: no detection, no alignment, identities from folder names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import torch
from pydantic import Field
from torch import Tensor
from zoo.errors import ZooError
from zoo.paths import ExistingFolder
from zoo.schedule import PlanError
from zoo_datasets.base import FaceDataset, Upscaler, resize_faces
from zoo_datasets.facts import DataSurvey

__all__ = ["AlignedFaces", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _people(root: Path, max_identities: int | None, max_per_identity: int | None) -> list[tuple[str, list[Path]]]:
    """(person, crops) for every person with at least one crop, limits applied; errors name the root."""
    if not root.exists():
        raise ZooError(f"aligned dataset: {root} does not exist")
    if not root.is_dir():
        raise ZooError(f"aligned dataset: {root} is not a directory")
    people = sorted(p for p in root.iterdir() if p.is_dir())
    if people:
        folders = [(folder.name, _images_in(folder)) for folder in people[:max_identities]]
    else:  # a flat folder: every image is its own person
        folders = [(path.stem, [path]) for path in _images_in(root)[:max_identities]]
    found = [(name, paths[:max_per_identity]) for name, paths in folders if paths]
    if not found:
        raise ZooError(f"aligned dataset: no images ({', '.join(IMAGE_SUFFIXES)}) in {root}")
    return found


class AlignedFaces(FaceDataset):
    """Aligned face crops from a folder (one subfolder per identity, or one identity per image)."""

    def __init__(
        self,
        root: Annotated[ExistingFolder, Field(min_length=1,
                                              description="folder of aligned crops or of per-person subfolders")],
        max_identities: Annotated[int | None, Field(gt=0, description="use only the first N people (sorted)")] = None,
        max_per_identity: Annotated[int | None, Field(gt=0, description="use only the first N photos per person")] = None,
    ):
        self.root = Path(root)
        folders = _people(self.root, max_identities, max_per_identity)
        self.names: list[str] = []
        self.paths: list[Path] = []
        self.labels: list[int] = []
        for name, paths in folders:
            self.labels += [len(self.names)] * len(paths)
            self.paths += paths
            self.names.append(name)
        self._faces: Tensor | None = None
        self.native_resolution = self._read(0).shape[-1]

    @classmethod
    def survey(cls, **args: Any) -> DataSurvey:
        try:
            people = _people(Path(args["root"]), args.get("max_identities"), args.get("max_per_identity"))
        except ZooError as error:
            raise PlanError("root", str(error)) from None
        return DataSurvey(identities=len(people), most_per_identity=max(len(paths) for _, paths in people))

    def _read(self, index: int) -> Tensor:
        from zoo_faces.image import load_image

        pixels = torch.from_numpy(load_image(self.paths[index])).permute(2, 0, 1)
        if pixels.shape[1] != pixels.shape[2]:
            raise ZooError(f"aligned dataset: {self.paths[index]} is not square ({pixels.shape[2]}×{pixels.shape[1]}); "
                           "aligned crops are square — use `zoo prepare` for photos")
        return pixels

    def _all(self) -> Tensor:
        """Decode every crop once (uint8) so repeated sample building costs no disk reads."""
        if self._faces is None:
            size = self.native_resolution
            faces = torch.empty(len(self.paths), 3, size, size, dtype=torch.uint8)
            for index in range(len(self.paths)):
                pixels = self._read(index)
                if pixels.shape[-1] != size:
                    pixels = (resize_faces(pixels[None].float() / 255, size)[0] * 255).round().to(torch.uint8)
                faces[index] = pixels
            self._faces = faces
        return self._faces

    def __len__(self) -> int:
        return len(self.paths)

    def identity(self, index: int) -> int:
        return self.labels[index]

    def identities(self) -> list[int]:
        return list(self.labels)

    def images(self, indices: Sequence[int], resolution: int, upscaler: Upscaler | None = None) -> Tensor:
        faces = self._all()[torch.as_tensor(list(indices), dtype=torch.long)].float().div_(255)
        return resize_faces(faces, resolution, upscaler)

    def __repr__(self) -> str:
        return f"aligned({self.root}: {len(self.names)} identities, {len(self)} faces)"
