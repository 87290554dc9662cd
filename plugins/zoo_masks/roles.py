"""The roles ``zoo_masks`` consumes: a segmenter (``zoo swap --mask occlusion``) and the data it trains on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from torch import Tensor

__all__ = ["Segmenter", "SegmentationData"]


class Segmenter(Protocol):
    """Aligned faces → soft visible-face masks; ``forward`` gives logits at ``resolution`` for training."""

    resolution: int

    def forward(self, faces: Tensor) -> Tensor:
        """N×3×R×R aligned faces in [0, 1] → N×1×R×R logits."""
        ...

    def mask(self, faces: Tensor) -> Tensor:
        """N×3×S×S aligned faces in [0, 1], any S → N×1×S×S masks in [0, 1] (1 = visible face)."""
        ...

    def build_args(self) -> dict[str, Any]: ...


class SegmentationData(Protocol):
    """Samples made by (split, index, seed) alone, so training resumes exactly and test samples are fixed."""

    resolution: int

    def batch(self, split: str, indices: Sequence[int], seed: int) -> dict[str, Any]:
        """``image`` N×3×S×S, ``target`` and ``region`` N×1×S×S in [0, 1], ``kinds`` (occluder kinds per sample)."""
        ...
