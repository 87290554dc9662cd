"""Upscalers (METHODS.md P9): make higher-resolution samples when no native image exists.

An upscaler is a backbone with ``upscale(images, size)``; builders take it by registered name,
so a learned super-resolution network registered under another name is a drop-in replacement.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BicubicUpscaler"]


class BicubicUpscaler(nn.Module):
    """Antialiased bicubic resize, clamped to [0,1]: the weight-free default upscaler."""

    def upscale(self, images: Tensor, size: int) -> Tensor:
        """N×3×h×w float [0,1] → N×3×size×size float [0,1]."""
        if images.ndim != 4:
            raise ValueError(f"expected N×C×H×W images, got shape {tuple(images.shape)}")
        resized = F.interpolate(images, size=(size, size), mode="bicubic", antialias=True, align_corners=False)
        return resized.clamp(0.0, 1.0)

    def forward(self, images: Tensor, size: int) -> Tensor:
        return self.upscale(images, size)
