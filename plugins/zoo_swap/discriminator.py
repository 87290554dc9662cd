"""Multi-scale PatchGAN discriminator (pix2pixHD) that also exposes its intermediate features.

Each scale judges overlapping patches of the image at one resolution (the input, then repeatedly
halved), so one network covers both fine texture and face-level structure. Its intermediate
features double as the feature-reconstruction extractor of METHODS.md F4 without an ImageNet
download.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm as with_spectral_norm

__all__ = ["PatchGAN", "ScaleOutput"]

_KERNEL = 4
_PADDING = 2  # pix2pixHD's ceil((k - 1) / 2): a map never shrinks below 2×2, so any input size works
_LEAK = 0.2


@dataclass
class ScaleOutput:
    """One scale's verdict: per-patch logits (N×1×h×w) and the features that led to them."""

    logits: Tensor
    features: list[Tensor]


class _PatchNet(nn.Module):
    """One scale: strided conv levels, one stride-1 level, then a 1-channel logits conv."""

    def __init__(self, layers: int, channels: int, max_channels: int, spectral_norm: bool, instance_norm: bool):
        super().__init__()
        widths = [min(channels * 2**level, max_channels) for level in range(layers + 1)]
        strides = [2] * layers + [1]
        self.levels = nn.ModuleList()
        for level, (cin, cout, stride) in enumerate(zip([3, *widths], widths, strides)):
            normalised = instance_norm and level > 0
            # A bias before instance norm is subtracted again: it would only learn rounding noise.
            conv = self._conv(cin, cout, stride, spectral_norm, bias=not normalised)
            norm = nn.InstanceNorm2d(cout) if normalised else nn.Identity()
            self.levels.append(nn.Sequential(conv, norm, nn.LeakyReLU(_LEAK, inplace=True)))
        self.logits = self._conv(widths[-1], 1, 1, spectral_norm)

    @staticmethod
    def _conv(cin: int, cout: int, stride: int, spectral_norm: bool, bias: bool = True) -> nn.Module:
        conv = nn.Conv2d(cin, cout, _KERNEL, stride=stride, padding=_PADDING, bias=bias)
        return with_spectral_norm(conv) if spectral_norm else conv

    def forward(self, x: Tensor) -> ScaleOutput:
        features = []
        for level in self.levels:
            x = level(x)
            features.append(x)
        return ScaleOutput(self.logits(x), features)


class PatchGAN(nn.Module):
    """Multi-scale PatchGAN discriminator returning per-scale logits and intermediate features."""

    def __init__(
        self,
        num_scales: Annotated[int, Field(ge=1, le=5, description="image scales judged (each half the last)")] = 2,
        layers: Annotated[int, Field(ge=1, le=6, description="stride-2 conv levels per scale")] = 3,
        channels: Annotated[int, Field(gt=0, description="width of the first level (doubles per level)")] = 64,
        max_channels: Annotated[int, Field(gt=0, description="cap on the width of deeper levels")] = 512,
        spectral_norm: Annotated[bool, Field(description="spectral-normalise every convolution")] = False,
        norm: Annotated[
            Literal["instance", "none"], Field(description="normalisation after each conv but the first")
        ] = "instance",
    ):
        super().__init__()
        self.scales = nn.ModuleList(
            _PatchNet(layers, channels, max_channels, spectral_norm, norm == "instance") for _ in range(num_scales)
        )

    def forward(self, images: Tensor) -> list[ScaleOutput]:
        """Judge N×3×H×W images in [0, 1] (any H, W); finest scale first."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be N×3×H×W RGB in [0, 1], got shape {tuple(images.shape)}")
        x = images * 2 - 1
        outputs = []
        for index, scale in enumerate(self.scales):
            if index:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outputs.append(scale(x))
        return outputs

    def features(self, images: Tensor) -> list[Tensor]:
        """Every intermediate feature map of every scale, for the feature-reconstruction loss."""
        return [feature for output in self(images) for feature in output.features]
