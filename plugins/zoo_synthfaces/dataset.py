"""``synthfaces``: procedurally generated aligned faces with separable identity and attributes.

Face ``i`` shows identity ``i // images_per_identity`` with attribute set ``i``. Because the renderer
takes the two parameter sets separately, the pixel-exact swap of any (source, template) pair is
simply ``render(identity of source, attributes of template)`` — ground truth no photo can give.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Annotated, Any

import torch
from pydantic import Field
from torch import Tensor
from zoo_datasets.base import FaceDataset, Upscaler
from zoo_datasets.facts import DataSurvey
from zoo_synthfaces.params import FaceParams, attribute_params, identity_params
from zoo_synthfaces.render import render_faces

__all__ = ["SynthFaces"]

#: Rendered faces kept for reuse (sample builders draw the same faces many times), in bytes.
CACHE_BYTES = 256 * 1024 * 1024


class SynthFaces(FaceDataset):
    """Procedural aligned faces with exact ground-truth swaps; the embedded default dataset."""

    supports_exact_swap = True
    licence = "procedurally generated faces of no real person, made by faceswap-zoo (Apache-2.0)"

    def __init__(
        self,
        identities: Annotated[int, Field(ge=2, le=100_000, description="number of people")] = 64,
        images_per_identity: Annotated[int, Field(ge=1, le=10_000, description="faces per person")] = 16,
        seed: Annotated[int, Field(ge=0, description="selects the population; same seed, same faces")] = 0,
    ):
        self.count_identities = identities
        self.per_identity = images_per_identity
        self.seed = seed
        self._cache: OrderedDict[tuple[int, int], Tensor] = OrderedDict()
        self._cached_bytes = 0

    @classmethod
    def survey(cls, **args: Any) -> DataSurvey:
        return DataSurvey(identities=args["identities"], most_per_identity=args["images_per_identity"])

    def __len__(self) -> int:
        return self.count_identities * self.per_identity

    def _checked(self, indices: Sequence[int]) -> list[int]:
        checked = [int(index) for index in indices]
        bad = [index for index in checked if not 0 <= index < len(self)]
        if bad:
            raise IndexError(f"face indices {bad[:5]} out of range for {self!r}")
        return checked

    def identity(self, index: int) -> int:
        return self._checked([index])[0] // self.per_identity

    def identity_params(self, indices: Sequence[int]) -> FaceParams:
        """Identity parameters (who: face shape, skin, eyes, brows, nose, mouth, hair) of faces ``indices``."""
        return identity_params(self.seed, [index // self.per_identity for index in self._checked(indices)])

    def attribute_params(self, indices: Sequence[int]) -> FaceParams:
        """Attribute parameters (pose, expression, lighting, background) of faces ``indices``."""
        return attribute_params(self.seed, self._checked(indices))

    def _remember(self, key: tuple[int, int], image: Tensor) -> None:
        size = image.numel() * image.element_size()
        if size > CACHE_BYTES:
            return
        self._cache[key] = image
        self._cached_bytes += size
        while self._cached_bytes > CACHE_BYTES:
            _, evicted = self._cache.popitem(last=False)
            self._cached_bytes -= evicted.numel() * evicted.element_size()

    def images(self, indices: Sequence[int], resolution: int, upscaler: Upscaler | None = None) -> Tensor:
        """Rendered natively at ``resolution`` (no upscaling needed); recently used faces are cached."""
        wanted = self._checked(indices)
        found = {key: self._cache[key] for key in ((i, resolution) for i in wanted) if key in self._cache}
        missing = sorted({i for i in wanted if (i, resolution) not in found})
        if missing:
            rendered = render_faces(self.identity_params(missing), self.attribute_params(missing), resolution)
            for index, image in zip(missing, rendered):
                found[(index, resolution)] = image
                self._remember((index, resolution), image)
        for key in found:
            if key in self._cache:
                self._cache.move_to_end(key)
        if not wanted:
            return torch.empty(0, 3, resolution, resolution)
        return torch.stack([found[(i, resolution)] for i in wanted])

    def exact_swaps(self, sources: Sequence[int], templates: Sequence[int], resolution: int) -> Tensor:
        if len(sources) != len(templates):
            raise ValueError(f"{len(sources)} sources but {len(templates)} templates")
        return render_faces(self.identity_params(sources), self.attribute_params(templates), resolution)

    def __repr__(self) -> str:
        return f"synthfaces({self.count_identities} identities × {self.per_identity}, seed {self.seed})"
