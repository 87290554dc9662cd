"""``folder``: a directory of ordinary photos, detected and aligned once into a cache.

The first use runs what ``zoo prepare`` runs (progress on stderr) and later uses read the cache,
so recipes can point straight at photos. The cache is an ``aligned`` folder underneath.
"""

from __future__ import annotations

import hashlib
from collections import Counter
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field
from torch import Tensor
from zoo.errors import ZooError
from zoo.paths import ExistingFolder
from zoo.schedule import PlanError

from zoo_datasets.aligned import AlignedFaces
from zoo_datasets.base import FaceDataset, Upscaler
from zoo_datasets.facts import DataSurvey
from zoo_datasets.prepare import FACES_DIR, REPORT, FaceChoice, prepare_folder
from zoo_faces.defaults import DEFAULT_DETECTOR

__all__ = ["PhotoFolder", "default_cache"]


def default_cache(root: Path, size: int, detector: str, detector_args: dict[str, Any], faces: str) -> Path:
    """``$XDG_CACHE_HOME/zoo/prepared/<name>-<hash of folder and settings>``: never inside the user's photos."""
    key = json.dumps([str(root.resolve()), size, detector, detector_args, faces], sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "zoo" / "prepared" / f"{root.resolve().name}-{size}-{digest}"


class PhotoFolder(FaceDataset):
    """Photos (optionally one subfolder per person), detected and aligned once into a cache."""

    def __init__(
        self,
        root: Annotated[ExistingFolder, Field(min_length=1, description="folder of photos or of per-person subfolders")],
        size: Annotated[int, Field(ge=8, le=4096, description="side of the aligned crops kept in the cache")] = 256,
        detector: Annotated[str, Field(description="registered detector (`zoo list detector`)")] = DEFAULT_DETECTOR,
        detector_args: Annotated[dict[str, Any], Field(description="the detector's arguments")] = {},
        faces: Annotated[FaceChoice, Field(description="largest face per photo, or all faces")] = "largest",
        cache: Annotated[str | None, Field(description="cache folder; None = under ~/.cache/zoo/prepared")] = None,
        max_identities: Annotated[int | None, Field(gt=0)] = None,
        max_per_identity: Annotated[int | None, Field(gt=0)] = None,
        progress: bool = True,
    ):
        import zoo

        self.root = Path(root)
        self.cache = Path(cache) if cache else default_cache(self.root, size, detector, detector_args, faces)
        name, arguments = detector, dict(detector_args)
        self.report = prepare_folder(self.root, self.cache, size=size, faces=faces, progress=progress,
                                     detector=lambda: zoo.build("detector", name, **arguments))
        if self.report.faces == 0:
            raise ZooError(f"folder dataset: no face found in any photo of {self.root} (reasons in {self.cache / REPORT})")
        self.crops = AlignedFaces(str(self.cache / FACES_DIR), max_identities=max_identities, max_per_identity=max_per_identity)
        self.native_resolution = size

    @classmethod
    def survey(cls, **args: Any) -> DataSurvey:
        """People and photos per person from the file names: faces are unknown until detected."""
        from zoo_datasets.prepare import identity_of, photos_in

        root = Path(args["root"])
        try:
            photos = photos_in(root)
        except ZooError as error:
            raise PlanError("root", f"folder dataset: {error}") from None
        counts = Counter(identity_of(photo.relative_to(root)) for photo in photos)
        return DataSurvey(identities=len(counts), most_per_identity=max(counts.values()))

    def __len__(self) -> int:
        return len(self.crops)

    def identity(self, index: int) -> int:
        return self.crops.identity(index)

    def identities(self) -> list[int]:
        return self.crops.identities()

    def images(self, indices: Sequence[int], resolution: int, upscaler: Upscaler | None = None) -> Tensor:
        return self.crops.images(indices, resolution, upscaler)

    def __repr__(self) -> str:
        return f"folder({self.root}: {len(self.crops.names)} identities, {len(self)} faces, cache {self.cache})"
