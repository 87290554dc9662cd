"""A swap generator that only has to learn the face: skip connections, identity at every scale, a blend mask.

``adain_swap`` re-synthesises the whole crop from a bottleneck, so background, hair and lighting come
back blurred and a 64 px model loses to "return the template unchanged" on SSIM. Here:

- the template's features reach the decoder at every scale (U-Net skips), so pose, expression and
  fine structure survive;
- the source identity is injected by AdaIN into every decoder scale, not only at the bottleneck (F5);
- every head predicts RGB plus a soft mask, and the output is ``mask·face + (1 − mask)·template``:
  whatever the mask leaves out is the template exactly. ``swap_with_mask`` returns the mask too, so
  ``zoo swap`` can paste back with the model's own idea of where the face is.

Growth (P3/P7) appends resolution-update layers exactly as in ``adain_swap``; old weights are kept.
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
from zoo_swap.layers import LEAK, AdaIN, ConvAct, FusionBlock

__all__ = ["MaskedSwap"]


class SkipUp(nn.Module):
    """Upsample, concatenate the encoder's features of this scale, convolve, AdaIN with the identity."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, id_dim: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels + skip_channels, out_channels, 3, padding=1, bias=False)
        self.norm = AdaIN(out_channels, id_dim)

    def forward(self, features: Tensor, skip: Tensor, identity: Tensor) -> Tensor:
        upsampled = F.interpolate(features, size=skip.shape[-2:], mode="nearest")
        mixed = self.conv(torch.cat([upsampled, skip], dim=1))
        return F.leaky_relu(self.norm(mixed, identity), LEAK, inplace=True)


class MaskedSwap(GrowableSwapGenerator):
    """Masked U-Net swap generator: template skips, AdaIN identity at every scale, mask blend; growable."""

    component_name = "masked_swap"
    head_channels = 4

    def __init__(
        self,
        resolution: CoreResolution = 64,
        channels: Channels = 32,
        max_channels: MaxChannels = 256,
        downsamples: Downsamples = 3,
        blocks: Blocks = 2,
        identity: Identity = "learned",
        id_dim: IdDim = 256,
        growth: Growth = [],
        template_skip: TemplateSkip = True,
    ):
        super().__init__()
        id_dim = self._setup(locals())
        widths = [min(channels * 2**level, max_channels) for level in range(downsamples + 1)]
        self.encoder = nn.ModuleList(
            [ConvAct(6, widths[0]), *(ConvAct(cin, cout, stride=2) for cin, cout in zip(widths, widths[1:]))]
        )
        self.fusion = nn.ModuleList(FusionBlock(widths[-1], id_dim) for _ in range(blocks))
        self.decoder = nn.ModuleList(
            SkipUp(cin, skip, cout, id_dim)
            for cin, skip, cout in zip(widths[::-1], widths[-2::-1], widths[-2::-1])
        )
        self.to_rgb = nn.Conv2d(widths[0], self.head_channels, 1)
        self._finish(widths[0], growth)

    def forward(self, source: Tensor, template: Tensor, identity: Tensor | None = None) -> Tensor:
        """Swap the source's identity (or ``identity``, see :meth:`identity_for`) onto the template;
        N×3×R×R in [0, 1], R = output resolution."""
        return self.forward_with_mask(source, template, identity)[0]

    def forward_with_mask(self, source: Tensor, template: Tensor,
                          identity: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The swapped face and the blend mask (N×1×R×R in [0, 1]) it was composited with."""
        check_pair(source, template)
        identity = self.identity_for(source, identity)
        features = torch.cat([resize(source, self.resolution), resize(template, self.resolution)], dim=1) * 2 - 1
        skips = []
        for level in self.encoder:
            features = level(features)
            skips.append(features)
        for block in self.fusion:
            features = block(features, identity)
        for up, skip in zip(self.decoder, reversed(skips[:-1])):
            features = up(features, skip, identity)
        if not self.updates:
            return self._composite(self.to_rgb(features), template)

        *inner, last = self.updates
        for layer in inner:
            features = layer(features, self.template_at(template, layer.size))
        previous, previous_mask = self._composite((inner[-1] if inner else self).to_rgb(features), template)
        new, new_mask = self._composite(last.to_rgb(last(features, self.template_at(template, last.size))), template)
        size = (last.size, last.size)
        previous = F.interpolate(previous, size=size, mode="bilinear", align_corners=False)
        previous_mask = F.interpolate(previous_mask, size=size, mode="bilinear", align_corners=False)
        alpha = self.fade_alpha
        return alpha * new + (1 - alpha) * previous, alpha * new_mask + (1 - alpha) * previous_mask

    @staticmethod
    def _composite(head: Tensor, template: Tensor) -> tuple[Tensor, Tensor]:
        face, mask = torch.sigmoid(head[:, :3]), torch.sigmoid(head[:, 3:4])
        return mask * face + (1 - mask) * resize(template, head.shape[-1]), mask

    @torch.no_grad()
    def swap_with_mask(self, source: Tensor, template: Tensor,
                       identity: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Eval-mode, no-grad :meth:`forward_with_mask` on aligned faces (for paste-back)."""
        was_training = self.training
        self.eval()
        try:
            return self.forward_with_mask(source, template, identity)
        finally:
            self.train(was_training)
