"""MobileFaceNet (Chen et al. 2018) in the layout of the shared CASIA-WebFace weights.

Input convention of those weights: a 112×96 crop (the ArcFace-112 aligned face with 8 columns
cut from each side, i.e. the older 96×112 alignment template) scaled ``(x − 127.5) / 128``.
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch import Tensor, nn

from zoo.paths import WeightsLocation
from zoo.resize import resize
from zoo_identity.frozen import FrozenEncoder

__all__ = ["MobileFaceNet"]

# expansion, output channels, repeats, first stride: the paper's table 1.
_BOTTLENECKS = ((2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1))
_FEATURE_BLOCKS = (4, 11, 14)  # last block at 28×24, 14×12 and 7×6
_CROP_COLUMNS = 8


class _ConvBlock(nn.Module):
    def __init__(self, inp: int, out: int, kernel, stride: int, padding: int, *, depthwise=False, linear=False):
        super().__init__()
        groups = inp if depthwise else 1
        self.conv = nn.Conv2d(inp, out, kernel, stride, padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out)
        self.prelu = None if linear else nn.PReLU(out)

    def forward(self, x: Tensor) -> Tensor:
        x = self.bn(self.conv(x))
        return x if self.prelu is None else self.prelu(x)


class _Bottleneck(nn.Module):
    def __init__(self, inp: int, out: int, stride: int, expansion: int):
        super().__init__()
        hidden = inp * expansion
        self.residual = stride == 1 and inp == out
        self.conv = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.PReLU(hidden),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.PReLU(hidden),
            nn.Conv2d(hidden, out, 1, bias=False),
            nn.BatchNorm2d(out),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


def _bottlenecks() -> nn.Sequential:
    blocks, channels = [], 64
    for expansion, out, repeats, stride in _BOTTLENECKS:
        for index in range(repeats):
            blocks.append(_Bottleneck(channels, out, stride if index == 0 else 1, expansion))
            channels = out
    return nn.Sequential(*blocks)


class MobileFaceNet(FrozenEncoder):
    """MobileFaceNet identity encoder (128-d, 256-d with flip), frozen; CASIA weights layout."""

    def __init__(
        self,
        weights: Annotated[
            WeightsLocation | None, Field(description="safetensors path or hf://org/repo/file; None = random init")
        ] = None,
        flip: Annotated[
            bool, Field(description="also embed the mirrored face and concatenate (256-d)")
        ] = False,
    ):
        super().__init__()
        self.flip = flip
        self.embedding_size = 256 if flip else 128
        self.conv1 = _ConvBlock(3, 64, 3, 2, 1)
        self.dw_conv1 = _ConvBlock(64, 64, 3, 1, 1, depthwise=True)
        self.blocks = _bottlenecks()
        self.conv2 = _ConvBlock(128, 512, 1, 1, 0)
        self.linear7 = _ConvBlock(512, 512, (7, 6), 1, 0, depthwise=True, linear=True)
        self.linear1 = _ConvBlock(512, 128, 1, 1, 0, linear=True)
        self._finish_init(weights, "mobilefacenet")

    def prepare(self, images: Tensor) -> Tensor:
        square = resize(images, 112)
        crop = square[..., _CROP_COLUMNS : 112 - _CROP_COLUMNS]
        return (crop * 255.0 - 127.5) / 128.0

    def _embed_one(self, x: Tensor) -> Tensor:
        x = self.blocks(self.dw_conv1(self.conv1(x)))
        return self.linear1(self.linear7(self.conv2(x))).flatten(1)

    def embed(self, prepared: Tensor) -> Tensor:
        if not self.flip:
            return self._embed_one(prepared)
        both = self._embed_one(torch.cat([prepared, prepared.flip(-1)]))
        plain, mirrored = both.chunk(2)
        return torch.cat([plain, mirrored], dim=1)

    def feature_maps(self, prepared: Tensor) -> list[Tensor]:
        x = self.dw_conv1(self.conv1(prepared))
        maps = [x]
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index in _FEATURE_BLOCKS:
                maps.append(x)
        return maps
