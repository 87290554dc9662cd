"""SSIM and MS-SSIM losses (Wang et al. 2003/2004), Method P's objective in the published work.

Gaussian window 11, σ 1.5, constants for a data range of 1, "valid" filtering as in the
reference implementation. MS-SSIM uses the standard five scale weights; images too small for
five scales use the first scales that fit (weights renormalised), so 32–128 px stages still work.
"""

from __future__ import annotations

import math
from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from zoo_losses.base import GROUP_NAMES, GroupName, LossInputs, LossTerms, at_size_of

__all__ = ["ssim", "ms_ssim", "SSIMLoss", "MSSSIMLoss", "MS_SSIM_WEIGHTS"]

WINDOW_SIZE = 11
SIGMA = 1.5
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_C1 = 0.01**2
_C2 = 0.03**2
_FLOOR = 1e-6  # keeps fractional powers of MS-SSIM differentiable when a term reaches 0


def _gaussian(size: int, like: Tensor) -> Tensor:
    coords = torch.arange(size, dtype=like.dtype, device=like.device) - (size - 1) / 2
    kernel = torch.exp(-(coords**2) / (2 * SIGMA**2))
    return kernel / kernel.sum()


def _blur(maps: Tensor, kernel: Tensor) -> Tensor:
    channels, size = maps.shape[1], kernel.numel()
    maps = F.conv2d(maps, kernel.view(1, 1, 1, size).expand(channels, 1, 1, size), groups=channels)
    return F.conv2d(maps, kernel.view(1, 1, size, 1).expand(channels, 1, size, 1), groups=channels)


def _ssim_and_contrast(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Per-image, per-channel (N×C) SSIM and contrast-structure term at one scale."""
    size = min(WINDOW_SIZE, x.shape[-2], x.shape[-1])
    channels = x.shape[1]
    moments = _blur(torch.cat([x, y, x * x, y * y, x * y], dim=1), _gaussian(size, x))
    mu_x, mu_y, xx, yy, xy = moments.split(channels, dim=1)
    var_x, var_y, cov = xx - mu_x**2, yy - mu_y**2, xy - mu_x * mu_y
    contrast = (2 * cov + _C2) / (var_x + var_y + _C2)
    luminance = (2 * mu_x * mu_y + _C1) / (mu_x**2 + mu_y**2 + _C1)
    return (luminance * contrast).mean(dim=(-2, -1)), contrast.mean(dim=(-2, -1))


def ssim(x: Tensor, y: Tensor) -> Tensor:
    """SSIM of each image pair (N), images N×C×H×W in [0, 1]."""
    return _ssim_and_contrast(x, y)[0].mean(dim=1)


def ms_ssim_levels(height: int, width: int) -> int:
    """How many of the five scales fit: the coarsest must still hold one full window."""
    fitting = 1 + math.floor(math.log2(max(min(height, width), 1) / WINDOW_SIZE))
    return max(1, min(len(MS_SSIM_WEIGHTS), fitting))


def ms_ssim(x: Tensor, y: Tensor) -> Tensor:
    """MS-SSIM of each image pair (N), images N×C×H×W in [0, 1]."""
    levels = ms_ssim_levels(x.shape[-2], x.shape[-1])
    weights = torch.tensor(MS_SSIM_WEIGHTS[:levels], dtype=x.dtype, device=x.device)
    weights = weights / weights.sum()
    terms = []
    for level in range(levels):
        similarity, contrast = _ssim_and_contrast(x, y)
        terms.append(similarity if level == levels - 1 else contrast)
        if level < levels - 1:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    stacked = torch.stack(terms).clamp(min=_FLOOR)  # levels × N × C
    return stacked.pow(weights.view(-1, 1, 1)).prod(dim=0).mean(dim=1)


class _StructuralLoss(nn.Module):
    similarity = staticmethod(ssim)

    def __init__(self, groups: list[str] | None):
        super().__init__()
        self.groups = tuple(GROUP_NAMES if groups is None else groups)

    def forward(self, inputs: LossInputs) -> LossTerms:
        """One term per selected group present, ``1 − similarity(result, label)``, keyed by group name."""
        return {
            group.group: 1 - self.similarity(group.result, at_size_of(group.label, group.result)).mean()
            for group in inputs.select(self.groups)
        }


class SSIMLoss(_StructuralLoss):
    """1 − SSIM between result and label (gaussian window 11, σ 1.5)."""

    def __init__(
        self,
        groups: Annotated[list[GroupName] | None, Field(description="groups to apply to; None = all")] = None,
    ):
        super().__init__(groups)


class MSSSIMLoss(_StructuralLoss):
    """1 − MS-SSIM between result and label (5 scales, fewer for small images)."""

    similarity = staticmethod(ms_ssim)

    def __init__(
        self,
        groups: Annotated[list[GroupName] | None, Field(description="groups to apply to; None = all")] = None,
    ):
        super().__init__(groups)
