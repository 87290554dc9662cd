"""``synthfaces``: procedurally generated aligned faces with separable identity and attributes.

Face ``i`` shows identity ``i // images_per_identity`` with attribute set ``i``. Because the renderer
takes the two parameter sets separately, the pixel-exact swap of any (source, template) pair is
simply ``render(identity of source, attributes of template)`` — ground truth no photo can give.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import torch
from pydantic import Field
from torch import Tensor
from zoo_datasets.base import FaceDataset, Upscaler
from zoo_synthfaces.params import attribute_params, identity_params
from zoo_synthfaces.render import render_faces

__all__ = ["SynthFaces"]


class SynthFaces(FaceDataset):
    """Procedural aligned faces with exact ground-truth swaps; the embedded default dataset."""

    supports_exact_swap = True

    def __init__(
        self,
        identities: Annotated[int, Field(ge=2, le=100_000, description="number of people")] = 64,
        images_per_identity: Annotated[int, Field(ge=1, le=10_000, description="faces per person")] = 16,
        seed: Annotated[int, Field(ge=0, description="selects the population; same seed, same faces")] = 0,
    ):
        self.count_identities = identities
        self.per_identity = images_per_identity
        self.seed = seed
        self._cache: dict[tuple[int, int], Tensor] = {}

    def __len__(self) -> int:
        return self.count_identities * self.per_identity

    def identity(self, index: int) -> int:
        return index // self.per_identity

    def _render(self, identities: Sequence[int], attributes: Sequence[int], resolution: int) -> Tensor:
        return render_faces(identity_params(self.seed, identities), attribute_params(self.seed, attributes), resolution)

    def images(self, indices: Sequence[int], resolution: int, upscaler: Upscaler | None = None) -> Tensor:
        """Rendered natively at ``resolution`` (no upscaling needed); cached per face and size."""
        missing = sorted({int(i) for i in indices if (int(i), resolution) not in self._cache})
        if missing:
            rendered = self._render([self.identity(i) for i in missing], missing, resolution)
            for index, image in zip(missing, rendered):
                self._cache[(index, resolution)] = image
        if not indices:
            return torch.empty(0, 3, resolution, resolution)
        return torch.stack([self._cache[(int(i), resolution)] for i in indices])

    def exact_swaps(self, sources: Sequence[int], templates: Sequence[int], resolution: int) -> Tensor:
        return self._render([self.identity(int(s)) for s in sources], [int(t) for t in templates], resolution)

    def __repr__(self) -> str:
        return f"synthfaces({self.count_identities} identities × {self.per_identity}, seed {self.seed})"
