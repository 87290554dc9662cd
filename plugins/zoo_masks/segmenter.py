"""A small U-Net that maps an aligned face to a soft visible-face mask (the occlusion segmenter).

Aligned faces put the face region in the same place every time, so the network's job is mostly
to find what does not belong there — a hand, glasses, a microphone, hair — which needs local
edges (the skip connections) and a little context (three downsamplings at 64 px reach the whole
face). It is small on purpose: trained in minutes on two CPU cores, and run once per face in
``zoo swap`` at a cost far below the swap itself.
"""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

__all__ = ["OcclusionUNet"]


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class OcclusionUNet(nn.Module):
    """segmenter: small U-Net, aligned face → soft visible-face mask (face not covered by anything)."""

    def __init__(
        self,
        resolution: Annotated[int, Field(ge=16, le=512, description="input side; other sizes are resized to it")] = 64,
        channels: Annotated[int, Field(ge=4, le=128, description="width of the first level (doubles per level)")] = 8,
        depth: Annotated[int, Field(ge=1, le=5, description="number of downsamplings")] = 4,
    ):
        super().__init__()
        self.resolution, self.channels, self.depth = resolution, channels, depth
        if resolution % (2 ** depth):
            raise ValueError(f"resolution {resolution} must be divisible by 2**depth = {2 ** depth}")
        widths = [channels * 2 ** level for level in range(depth + 1)]
        self.down = nn.ModuleList([_block(3, widths[0])] + [_block(widths[i], widths[i + 1]) for i in range(depth)])
        self.up = nn.ModuleList([_block(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(depth))])
        self.head = nn.Conv2d(widths[0], 1, 1)

    @property
    def input_resolution(self) -> int:
        return self.resolution

    @property
    def output_resolution(self) -> int:
        return self.resolution

    def build_args(self) -> dict[str, int]:
        return {"resolution": self.resolution, "channels": self.channels, "depth": self.depth}

    def forward(self, faces: Tensor) -> Tensor:
        """Logits N×1×R×R for N×3×R×R aligned faces in [0, 1] (R = ``resolution``)."""
        x = faces * 2.0 - 1.0
        skips = []
        for level, block in enumerate(self.down):
            x = block(x if level == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for block, skip in zip(self.up, reversed(skips[:-1])):
            x = block(torch.cat([F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False), skip], 1))
        return self.head(x)

    @torch.no_grad()
    def mask(self, faces: Tensor) -> Tensor:
        """Soft visible-face masks in [0, 1] at the faces' own size, for N×3×S×S aligned faces of any S."""
        size = faces.shape[-1]
        resized = faces if size == self.resolution else F.interpolate(
            faces, size=(self.resolution, self.resolution), mode="bilinear", antialias=size > self.resolution,
            align_corners=False)
        probability = torch.sigmoid(self.forward(resized.float()))
        if size != self.resolution:
            probability = F.interpolate(probability, size=(size, size), mode="bilinear", align_corners=False)
        return probability.clamp_(0.0, 1.0)
