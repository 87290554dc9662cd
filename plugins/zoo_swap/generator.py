"""The AdaIN identity-swap generator (METHODS.md F5), growable by resolution-update layers (P3/P7/P8).

Data flow: source and template are resized to the core resolution and spliced (6 channels) →
convolutional encoder → AdaIN fusion blocks driven by the source's identity embedding → decoder →
RGB. Each ``grow()`` appends a resolution-update layer after all existing convolutions; earlier
layers are never touched, so their weights stay bit-for-bit identical and a stage can train the
new layer alone (P5) before fine-tuning everything (P6).
"""

from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.resize import resize
from zoo_swap.growable import (
    Blocks, Channels, CoreResolution, Downsamples, Growth, GrowableSwapGenerator, IdDim, Identity, MaxChannels,
    TemplateSkip, check_pair,
)
from zoo_swap.layers import ConvAct, FusionBlock

__all__ = ["AdainSwap"]


class AdainSwap(GrowableSwapGenerator):
    """AdaIN identity-swap generator (F5): splice encoder, identity fusion, decoder; growable (P3/P7)."""

    component_name = "adain_swap"

    def __init__(
        self,
        resolution: CoreResolution = 64,
        channels: Channels = 32,
        max_channels: MaxChannels = 256,
        downsamples: Downsamples = 2,
        blocks: Blocks = 4,
        identity: Identity = "learned",
        id_dim: IdDim = 256,
        growth: Growth = [],
        template_skip: TemplateSkip = True,
    ):
        super().__init__()
        id_dim = self._setup(locals())
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

    def forward(self, source: Tensor, template: Tensor, identity: Tensor | None = None) -> Tensor:
        """Swap the source's identity (or ``identity``, see :meth:`identity_for`) onto the template;
        N×3×R×R in [0, 1], R = output resolution."""
        check_pair(source, template)
        identity = self.identity_for(source, identity)
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
