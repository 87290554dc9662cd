"""Multi-band (Laplacian-pyramid) blending, batched in torch.

Burt & Adelson, "A multiresolution spline with application to image mosaics", 1983: each
frequency band is mixed with a mask blurred to that band's scale, so coarse colour changes blend
over a wide seam and fine texture over a narrow one. That is what makes a pasted face invisible.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["gaussian_pyramid", "laplacian_blend", "laplacian_pyramid", "pyramid_levels"]

_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def pyramid_levels(shortest_side: int) -> int:
    """Enough bands to reach a ~16 px coarsest level, capped at 6."""
    return max(1, min(6, int(math.log2(max(shortest_side, 2))) - 3))


def _down(images: torch.Tensor) -> torch.Tensor:
    """Binomial blur, then every other pixel: the convolutions stride by two, so only the pixels
    that are kept are computed (a quarter of the work of blurring everything and subsampling)."""
    channels = int(images.shape[1])  # a plain int also while ONNX traces: the kernels need a known shape
    kernel = _BINOMIAL.to(images)
    pad_mode = "reflect" if min(images.shape[-2:]) > 2 else "replicate"
    padded = F.pad(images, (2, 2, 2, 2), mode=pad_mode)
    horizontal = F.conv2d(padded, kernel.view(1, 1, 1, 5).expand(channels, 1, 1, 5), groups=channels, stride=(1, 2))
    return F.conv2d(horizontal, kernel.view(1, 1, 5, 1).expand(channels, 1, 5, 1), groups=channels, stride=(2, 1))


def _up(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return F.interpolate(images, size=size, mode="bilinear", align_corners=False)


def gaussian_pyramid(images: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """``levels`` + 1 images, each half the size of the previous (the first is the input)."""
    pyramid = [images]
    for _ in range(levels):
        if min(pyramid[-1].shape[-2:]) < 2:
            break
        pyramid.append(_down(pyramid[-1]))
    return pyramid


def laplacian_pyramid(images: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Band-pass images, finest first, ending with the coarsest Gaussian level (sums back exactly)."""
    gaussians = gaussian_pyramid(images, levels)
    bands = [fine - _up(coarse, fine.shape[-2:]) for fine, coarse in zip(gaussians[:-1], gaussians[1:])]
    return [*bands, gaussians[-1]]


def laplacian_blend(
    foreground: torch.Tensor,
    background: torch.Tensor,
    mask: torch.Tensor,
    levels: int | None = None,
    background_base: bool = False,
) -> torch.Tensor:
    """Blend N×C×H×W ``foreground`` into ``background`` where the N×1×H×W ``mask`` (0..1) is high.

    ``background_base`` keeps the background's coarsest band everywhere: the result then has the
    background's smooth shading (lighting direction, skin tone) under the foreground's detail.
    """
    if foreground.shape != background.shape:
        raise ValueError(f"foreground {tuple(foreground.shape)} and background {tuple(background.shape)} differ")
    if mask.ndim != 4 or mask.shape[1] != 1 or mask.shape[-2:] != foreground.shape[-2:]:
        raise ValueError(f"mask must be N×1×H×W matching the images, got {tuple(mask.shape)}")
    levels = pyramid_levels(min(foreground.shape[-2:])) if levels is None else levels
    mask = mask.to(foreground).expand(foreground.shape[0], 1, *foreground.shape[-2:])
    # The pyramid is linear and collapses back exactly, so mixing each band of foreground and background
    # by the mask is the background plus the collapsed, masked bands of (foreground - background):
    # one pyramid instead of two.
    weights = gaussian_pyramid(mask, levels)
    bands = [weight * band for weight, band in zip(weights, laplacian_pyramid(foreground - background, levels))]
    if background_base:
        bands[-1] = torch.zeros_like(bands[-1])
    result = bands[-1]
    for band in reversed(bands[:-1]):
        result = band + _up(result, band.shape[-2:])
    return (background + result).clamp(0.0, 1.0)
