"""One image-tensor resize: bilinear, differentiable, antialiased when shrinking.

Generators, identity encoders, losses, datasets and sample grids all bring N×C×H×W images to a
size; doing it one way everywhere means training, evaluation and swapping see the same pixels (a
resize that aliases in one place and not another shows up as a train/test gap). torch is imported
on first use, so ``zoo.sdk`` can export this without slowing ``zoo --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["resize"]


def resize(images: Tensor, size: int | tuple[int, int]) -> Tensor:
    """``images`` (N×C×H×W) at ``size`` (square side or (height, width)); unchanged when already there."""
    import torch.nn.functional as F

    # A shape read while tracing for ONNX export is a 0-dim tensor, not an int: anything not a pair is a side.
    height, width = (int(size[0]), int(size[1])) if isinstance(size, (tuple, list)) else (int(size), int(size))
    if tuple(images.shape[-2:]) == (height, width):
        return images
    shrinking = images.shape[-2] > height or images.shape[-1] > width
    return F.interpolate(images, size=(height, width), mode="bilinear", align_corners=False, antialias=shrinking)
