"""The AdaIN identity-swap generator (METHODS.md F5), growable by resolution-update layers (P3/P7/P8).

Data flow: source and template are resized to the core resolution and spliced (6 channels) →
convolutional encoder → AdaIN fusion blocks driven by the source's identity embedding → decoder →
RGB. Each ``grow()`` appends a resolution-update layer after all existing convolutions; earlier
layers are never touched, so their weights stay bit-for-bit identical and a stage can train the
new layer alone (P5) before fine-tuning everything (P6).
"""

from __future__ import annotations

from typing import Annotated, Any

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from zoo.errors import ArgumentError
from zoo_swap.growable import GrowableSwapGenerator, IdentityRef, check_growth, check_pair, is_power_of_two
from zoo_swap.layers import ConvAct, FusionBlock, resize

__all__ = ["AdainSwap"]

_MIN_CORE_FEATURES = 4


class AdainSwap(GrowableSwapGenerator):
    """AdaIN identity-swap generator (F5): splice encoder, identity fusion, decoder; growable (P3/P7)."""

    component_name = "adain_swap"

    def __init__(
        self,
        resolution: Annotated[
            int, Field(ge=16, description="core resolution the encoder/decoder run at: a power of 2")
        ] = 64,
        channels: Annotated[int, Field(gt=0, description="width of the full-resolution encoder level")] = 32,
        max_channels: Annotated[int, Field(gt=0, description="cap on the width of deeper levels")] = 256,
        downsamples: Annotated[
            int, Field(ge=0, le=6, description="stride-2 encoder levels (width doubles)")
        ] = 2,
        blocks: Annotated[int, Field(ge=0, description="AdaIN fusion residual blocks at the bottleneck")] = 4,
        identity: Annotated[
            IdentityRef, Field(description="'learned' (trainable source encoder) or a registered identity encoder")
        ] = "learned",
        id_dim: Annotated[
            int, Field(gt=0, description="embedding width of the learned identity encoder")
        ] = 256,
        growth: Annotated[
            list[int], Field(description="output sizes of the resolution-update layers already inserted")
        ] = [],
        template_skip: Annotated[
            bool, Field(description="feed the template at each update layer's own resolution into it")
        ] = True,
    ):
        super().__init__()
        check_architecture(self.component_name, resolution, channels, max_channels, downsamples, growth)
        id_dim = self._setup(
            {"resolution": resolution, "channels": channels, "max_channels": max_channels, "downsamples": downsamples,
             "blocks": blocks, "identity": identity, "id_dim": id_dim,
             "template_skip": template_skip},
            channels, max_channels, id_dim,
        )
        widths = [min(channels * 2**level, max_channels) for level in range(downsamples + 1)]
        self.encoder = nn.Sequential(
            ConvAct(6, widths[0]),
            *(ConvAct(cin, cout, stride=2) for cin, cout in zip(widths, widths[1:])),
        )
        self.fusion = nn.ModuleList(FusionBlock(widths[-1], id_dim) for _ in range(blocks))
        self.decoder = nn.Sequential(
            *(
                nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), ConvAct(cin, cout))
                for cin, cout in zip(widths[::-1], widths[-2::-1])
            ),
            ConvAct(widths[0], widths[0]),
        )
        self.to_rgb = nn.Conv2d(widths[0], 3, 1)
        self._finish(widths[0], growth)

    def forward(self, source: Tensor, template: Tensor) -> Tensor:
        """Swap the source's identity onto the template; N×3×R×R in [0, 1], R = output resolution."""
        check_pair(source, template)
        identity = self.embed(source)
        spliced = torch.cat([resize(source, self.resolution), resize(template, self.resolution)], dim=1)
        features = self.encoder(spliced * 2 - 1)
        for block in self.fusion:
            features = block(features, identity)
        features = self.decoder(features)
        if not self.updates:
            return torch.sigmoid(self.to_rgb(features))

        *inner, last = self.updates
        for layer in inner:
            features = layer(features, self.template_at(template, layer.size))
        previous = inner[-1].rgb(features) if inner else torch.sigmoid(self.to_rgb(features))
        new = last.rgb(last(features, self.template_at(template, last.size)))
        upsampled = F.interpolate(previous, size=(last.size, last.size), mode="bilinear", align_corners=False)
        return self.fade_alpha * new + (1 - self.fade_alpha) * upsampled


def check_architecture(
    component: str,
    resolution: int,
    channels: int,
    max_channels: int,
    downsamples: int,
    growth: list[int],
) -> None:
    """Reject argument combinations no architecture exists for, naming the argument."""
    if not is_power_of_two(resolution) or resolution < 16:
        raise ArgumentError(f"{component}: resolution must be a power of 2 >= 16, got {resolution}")
    if resolution >> downsamples < _MIN_CORE_FEATURES:
        raise ArgumentError(
            f"{component}: downsamples={downsamples} shrinks resolution {resolution} "
            f"below {_MIN_CORE_FEATURES} px at the bottleneck"
        )
    if channels <= 0 or max_channels < channels:
        raise ArgumentError(
            f"{component}: need 0 < channels <= max_channels, got channels={channels}, max_channels={max_channels}"
        )
    check_growth(component, resolution, growth)
