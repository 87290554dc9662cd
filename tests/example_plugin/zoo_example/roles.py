"""The example plugin's own role: the loss that consumes filters defines what a filter must do."""

from typing import Protocol

from torch import Tensor


class ImageFilter(Protocol):
    def filter(self, images: Tensor) -> Tensor:
        """N×3×H×W in [0, 1] to the same shape."""
        ...
