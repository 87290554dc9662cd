"""Colour statistics transfer in CIE Lab, batched in torch.

Reinhard et al., "Color transfer between images", 2001: matching per-channel mean and spread in a
perceptual space moves skin tone and lighting level without touching structure. Lab (D65, sRGB)
keeps lightness apart from colour, so a pale source on a tanned template shifts hue and
brightness independently.
"""

from __future__ import annotations

import torch

__all__ = ["lab_to_rgb", "rgb_to_lab", "transfer_color"]

_RGB_TO_XYZ = torch.tensor(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE = torch.tensor([0.95047, 1.0, 1.08883])
_DELTA = 6.0 / 29.0


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """N×3×H×W sRGB in [0, 1] → Lab (L in 0..100, a/b roughly −128..127)."""
    rgb = rgb.clamp(0.0, 1.0)
    linear = torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = torch.einsum("ij,njhw->nihw", _RGB_TO_XYZ.to(rgb), linear) / _WHITE.to(rgb).view(1, 3, 1, 1)
    f = torch.where(xyz > _DELTA**3, xyz.clamp_min(1e-12) ** (1.0 / 3.0), xyz / (3 * _DELTA**2) + 4.0 / 29.0)
    fx, fy, fz = f.unbind(1)
    return torch.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], 1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_lab`, clipped to [0, 1]."""
    lightness, a, b = lab.unbind(1)
    fy = (lightness + 16.0) / 116.0
    f = torch.stack([fy + a / 500.0, fy, fy - b / 200.0], 1)
    xyz = torch.where(f > _DELTA, f**3, 3 * _DELTA**2 * (f - 4.0 / 29.0)) * _WHITE.to(lab).view(1, 3, 1, 1)
    linear = torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_XYZ).to(lab), xyz).clamp(0.0, 1.0)
    rgb = torch.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear.clamp_min(1e-12) ** (1.0 / 2.4) - 0.055)
    return rgb.clamp(0.0, 1.0)


def _weighted_stats(values: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    total = weights.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    mean = (values * weights).sum(dim=(2, 3), keepdim=True) / total
    variance = ((values - mean) ** 2 * weights).sum(dim=(2, 3), keepdim=True) / total
    return mean, variance.clamp_min(1e-6).sqrt()


def transfer_color(
    source: torch.Tensor,
    target: torch.Tensor,
    source_weights: torch.Tensor,
    target_weights: torch.Tensor | None = None,
    max_gain: float = 2.0,
) -> torch.Tensor:
    """Give ``source`` (N×3×H×W RGB) the Lab mean and spread ``target`` has under its weights.

    Statistics are taken only where the N×1×H×W weights are high (the face, not hair or
    background). The spread ratio is limited to [1/``max_gain``, ``max_gain``] so a flat region
    cannot blow up noise.
    """
    target_weights = source_weights if target_weights is None else target_weights
    source_lab, target_lab = rgb_to_lab(source), rgb_to_lab(target)
    source_mean, source_std = _weighted_stats(source_lab, source_weights.to(source))
    target_mean, target_std = _weighted_stats(target_lab, target_weights.to(target))
    gain = (target_std / source_std).clamp(1.0 / max_gain, max_gain)
    return lab_to_rgb((source_lab - source_mean) * gain + target_mean)
