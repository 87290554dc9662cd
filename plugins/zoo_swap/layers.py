"""Building blocks of the swap generator: conv units, AdaIN fusion blocks, resolution updates.

Kept apart from the generator so that the generator reads as the data flow of METHODS.md F5/P3
and each block can be checked on its own.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "LEAK",
    "ConvAct",
    "AdaIN",
    "FusionBlock",
    "ResolutionUpdate",
    "resize",
    "warp",
]

LEAK = 0.2


class ConvAct(nn.Sequential):
    """3×3 convolution then leaky ReLU: the unit every encoder and decoder level is made of."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
            nn.LeakyReLU(LEAK, inplace=True),
        )


class AdaIN(nn.Module):
    """Instance-normalise features, then scale/shift them with statistics projected from an identity.

    The feature statistics carry the template's identity-specific appearance; replacing them with
    ones derived from the source's identity embedding is the fusion of METHODS.md F5. The scale is
    ``1 + gamma`` so an untrained projection starts near plain instance normalisation.
    """

    def __init__(self, channels: int, id_dim: int):
        super().__init__()
        self.project = nn.Linear(id_dim, 2 * channels)

    def forward(self, features: Tensor, identity: Tensor) -> Tensor:
        gamma, beta = self.project(identity)[:, :, None, None].chunk(2, dim=1)
        return F.instance_norm(features, eps=1e-5) * (1 + gamma) + beta


class FusionBlock(nn.Module):
    """Residual block whose two convolutions are each followed by AdaIN with the source identity.

    The convolutions have no bias: instance normalisation subtracts it again, so its gradient is
    only rounding noise, which Adam would turn into full-size random steps.
    """

    def __init__(self, channels: int, id_dim: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm1 = AdaIN(channels, id_dim)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm2 = AdaIN(channels, id_dim)

    def forward(self, features: Tensor, identity: Tensor) -> Tensor:
        hidden = F.leaky_relu(self.norm1(self.conv1(features), identity), LEAK, inplace=True)
        return features + self.norm2(self.conv2(hidden), identity)


class ResolutionUpdate(nn.Module):
    """A resolution-update layer (METHODS.md P3/P7): upsample the features to ``size``, refine, to RGB.

    With a template skip, the template at this layer's own resolution enters through its own
    convolution and is added to the upsampled features (pix2pixHD's local enhancer), so detail the
    low-resolution core never saw can still reach the output.
    """

    def __init__(self, in_channels: int, out_channels: int, size: int, template_skip: bool, head_channels: int = 3):
        super().__init__()
        self.size = size
        self.expand = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.template = nn.Conv2d(3, out_channels, 3, padding=1) if template_skip else None
        self.refine = ConvAct(out_channels, out_channels)
        self.to_rgb = nn.Conv2d(out_channels, head_channels, 1)  # RGB, plus a blend mask for masked_swap

    def forward(self, features: Tensor, template: Tensor | None) -> Tensor:
        hidden = self.expand(F.interpolate(features, size=(self.size, self.size), mode="nearest"))
        if self.template is not None and template is not None:
            hidden = hidden + self.template(template)
        return self.refine(F.leaky_relu(hidden, LEAK, inplace=True))

    def rgb(self, features: Tensor) -> Tensor:
        return torch.sigmoid(self.to_rgb(features))


def warp(images: Tensor, flow: Tensor) -> Tensor:
    """``images`` sampled at every pixel's centre plus ``flow`` (N×2×H×W, x then y, in grid_sample's units:
    2 = the whole side). Zero flow returns the images as they are; borders repeat outwards."""
    height, width = int(images.shape[-2]), int(images.shape[-1])
    ys = (torch.arange(height, dtype=images.dtype, device=images.device) + 0.5) * (2.0 / height) - 1
    xs = (torch.arange(width, dtype=images.dtype, device=images.device) + 0.5) * (2.0 / width) - 1
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([grid_x, grid_y], dim=-1)[None] + flow.permute(0, 2, 3, 1)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
