"""What every identity encoder shares: frozen parameters, eval mode, differentiable input prep.

The encoders judge a generator's output during training, so they must never change: no
parameter takes a gradient and batch-norm statistics never update, even when a parent module
calls ``train()``. Gradients still flow to the *input*, which is the point of an identity loss.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch.nn.functional as F
from torch import Tensor, nn

from zoo.weights import load_strict, resolve_weights

__all__ = ["FrozenEncoder"]


class FrozenEncoder(nn.Module, ABC):
    """Base of the identity encoders: ``forward`` → L2-normalised N×D, ``features`` → layer maps."""

    embedding_size: int

    def _finish_init(self, weights: str | None, component: str) -> None:
        """Load weights (strictly) and freeze; subclasses call this last in ``__init__``."""
        if weights is not None:
            load_strict(self, resolve_weights(weights, what=component), what=component)
        self.requires_grad_(False)
        super().train(False)

    def train(self, mode: bool = True) -> FrozenEncoder:
        """Stay in eval mode whatever a parent asks: batch-norm statistics are part of the weights."""
        return super().train(False)

    @abstractmethod
    def prepare(self, images: Tensor) -> Tensor:
        """Aligned N×3×H×W RGB in [0, 1] at any size → the network's input tensor."""

    @abstractmethod
    def embed(self, prepared: Tensor) -> Tensor:
        """Unnormalised embedding of a prepared batch."""

    @abstractmethod
    def feature_maps(self, prepared: Tensor) -> list[Tensor]:
        """Intermediate activations of a prepared batch, shallow to deep."""

    def forward(self, images: Tensor) -> Tensor:
        """Aligned faces → unit-length identity embeddings (N×D)."""
        return F.normalize(self.embed(self.prepare(images)), dim=1)

    def features(self, images: Tensor) -> list[Tensor]:
        """Aligned faces → several intermediate layers, for feature-reconstruction losses."""
        return self.feature_maps(self.prepare(images))
