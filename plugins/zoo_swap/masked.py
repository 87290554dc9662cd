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

With a ``prior`` (a weight-free swapper such as ``classical_compositor``) the network does not draw
the face from nothing: the encoder sees the prior's composite beside the template, and every head
predicts a warp of the composite (a 2-D flow, added to the warp of the level below) and a correction
of its colours in logit space. Heads start at zero and the mask open, so an untrained model *is* the
prior, and training only has to learn what the prior gets wrong. The prior puts the source's eyes,
nose and mouth where the source had them; the warp can move them to where the template has them
(its expression), which fake-template groups teach, since their label is a real photo of the source
person in the template's pose (F1). On a 2-core CPU that is the difference between a model that
swaps identity after minutes and one that needs the GPU-days a generator from scratch needs.
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.refs import ComponentRef, Ref, as_ref
from zoo.resize import resize
from zoo_swap.growable import (
    Blocks, Channels, CoreResolution, Downsamples, Growth, GrowableSwapGenerator, IdDim, Identity, MaxChannels,
    TemplateSkip, check_pair,
)
from zoo_swap.layers import LEAK, AdaIN, ConvAct, FusionBlock, warp

__all__ = ["MaskedSwap", "PriorRef"]

#: A weight-free swapper whose composite the heads correct, or 'none' (draw the face from scratch).
PriorRef = Ref("swapper", special=("none",))
Prior = Annotated[PriorRef, Field(description="'none', or a swapper (e.g. classical_compositor) whose composite the "
                                              "model learns to correct; an untrained model returns it")]
_OPEN_MASK_LOGIT = 4.0  # sigmoid 0.982: a prior model starts as (almost exactly) its prior's composite
_EPSILON = 1e-3
_FLOW_SCALE = 0.1  # a head's unit output moves the prior's swap by 5 % of the crop side


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


class _PriorAt:
    """The prior's swap at each size a forward asks for, computed once per size from inputs resized to it.

    Swapping at each size (rather than shrinking one full-size composite) keeps every resize on the
    network's inputs, whose shapes ONNX export knows; the prior is an input, never trained through.
    """

    def __init__(self, prior: nn.Module, source: Tensor, template: Tensor):
        self.prior, self.source, self.template = prior, source, template
        self.swaps: dict[int, Tensor] = {}

    def __call__(self, size: int) -> Tensor:
        size = int(size)
        if size not in self.swaps:
            with torch.no_grad():
                swap = self.prior.swap(resize(self.source, size), resize(self.template, size))
            self.swaps[size] = swap.clamp(_EPSILON, 1 - _EPSILON)
        return self.swaps[size]


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
        prior: Prior = "none",
    ):
        super().__init__()
        id_dim = self._setup(locals())
        self._prior_ref: ComponentRef = as_ref(PriorRef, prior)
        self._args["prior"] = self._prior_ref.as_yaml()
        self.prior: nn.Module | None = None if self._prior_ref.kind is None else self._prior_ref.build()
        widths = [min(channels * 2**level, max_channels) for level in range(downsamples + 1)]
        self.encoder = nn.ModuleList(
            [ConvAct(6, widths[0]), *(ConvAct(cin, cout, stride=2) for cin, cout in zip(widths, widths[1:]))]
        )
        self.fusion = nn.ModuleList(FusionBlock(widths[-1], id_dim) for _ in range(blocks))
        self.decoder = nn.ModuleList(
            SkipUp(cin, skip, cout, id_dim)
            for cin, skip, cout in zip(widths[::-1], widths[-2::-1], widths[-2::-1])
        )
        self.head_channels = 4 if self.prior is None else 6  # RGB, mask (+ a 2-D warp of the prior's swap)
        self.to_rgb = nn.Conv2d(widths[0], self.head_channels, 1)
        self._start_as_prior(self.to_rgb)
        self._finish(widths[0], growth)

    def grow(self, size: int | None = None, fade_in: bool = True) -> list[str]:
        names = super().grow(size, fade_in)
        self._start_as_prior(self.updates[-1].to_rgb)
        return names

    def _start_as_prior(self, head: nn.Conv2d) -> None:
        """With a prior, a new head adds nothing to the composite and opens its mask."""
        if self.prior is None:
            return
        with torch.no_grad():
            head.weight.zero_()
            head.bias.zero_()
            head.bias[3] = _OPEN_MASK_LOGIT

    def forward(self, source: Tensor, template: Tensor, identity: Tensor | None = None) -> Tensor:
        """Swap the source's identity (or ``identity``, see :meth:`identity_for`) onto the template;
        N×3×R×R in [0, 1], R = output resolution."""
        return self.forward_with_mask(source, template, identity)[0]

    def forward_with_mask(self, source: Tensor, template: Tensor,
                          identity: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The swapped face and the blend mask (N×1×R×R in [0, 1]) it was composited with."""
        check_pair(source, template)
        identity = self.identity_for(source, identity)
        prior = _PriorAt(self.prior, source, template) if self.prior is not None else None
        base = resize(source, self.resolution) if prior is None else prior(self.resolution)
        features = torch.cat([base, resize(template, self.resolution)], dim=1) * 2 - 1
        skips = []
        for level in self.encoder:
            features = level(features)
            skips.append(features)
        for block in self.fusion:
            features = block(features, identity)
        for up, skip in zip(self.decoder, reversed(skips[:-1])):
            features = up(features, skip, identity)
        heads = [(self.to_rgb, features)]
        for layer in self.updates:
            features = layer(features, self.template_at(template, layer.size))
            heads.append((layer.to_rgb, features))
        # a warp chains through every level (each adds to the one below it); without a prior only the
        # last two levels reach the output
        flow = None
        outputs = []
        for head, level_features in heads if prior is not None else heads[-2:]:
            face, mask, flow = self._composite(head(level_features), template, prior, flow)
            outputs.append((face, mask))
        if not self.updates:
            return outputs[-1]
        (previous, previous_mask), (new, new_mask) = outputs[-2:]
        size = (new.shape[-2], new.shape[-1])
        previous = F.interpolate(previous, size=size, mode="bilinear", align_corners=False)
        previous_mask = F.interpolate(previous_mask, size=size, mode="bilinear", align_corners=False)
        alpha = self.fade_alpha
        return alpha * new + (1 - alpha) * previous, alpha * new_mask + (1 - alpha) * previous_mask

    @staticmethod
    def _composite(head: Tensor, template: Tensor, prior: _PriorAt | None,
                   inherited: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        """A head's face blended into the template by its mask; with a prior, the face corrects the prior's
        swap warped by this head's flow plus the (upsampled) flow of the level below."""
        size = head.shape[-1]
        flow = None
        if prior is None:
            face_logits = head[:, :3]
        else:
            flow = head[:, 4:6] * _FLOW_SCALE
            if inherited is not None:
                flow = flow + F.interpolate(inherited, size=(size, size), mode="bilinear", align_corners=False)
            face_logits = head[:, :3] + torch.logit(warp(prior(size), flow).clamp(_EPSILON, 1 - _EPSILON))
        face, mask = torch.sigmoid(face_logits), torch.sigmoid(head[:, 3:4])
        return mask * face + (1 - mask) * resize(template, size), mask, flow

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
