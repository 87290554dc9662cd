"""The identity-encoder role: a frozen face-recognition network the generator is conditioned on.

Input: N×3×112×112 RGB in [0, 1], ArcFace-5-point-aligned crops (the encoder converts to its own
range and crop inside). Output: N×D embeddings, compared by cosine similarity.
"""

from __future__ import annotations

from typing import Protocol

from torch import Tensor

__all__ = ["IdentityEncoder"]


class IdentityEncoder(Protocol):
    def forward(self, images: Tensor) -> Tensor: ...
