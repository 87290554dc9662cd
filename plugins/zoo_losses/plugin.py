"""Registers the training objectives (no heavy imports here: targets load lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo.registry import RegisterFn

__all__ = ["register_losses"]


@hookimpl
def register_roles(register) -> None:  # type: ignore[no-untyped-def]
    register("loss", "zoo_losses.roles:Loss", "a training objective: named scalar terms from LossInputs")
    register("discriminator", "zoo_losses.roles:Discriminator",
             "scores images per scale with logits and features (adversarial and feature losses)")


@hookimpl
def register_losses(register: RegisterFn) -> None:
    register("pixel", "zoo_losses.pixel:PixelLoss", "L1 pixel reconstruction, one weight per sample group (F4)")
    register(
        "feature",
        "zoo_losses.feature:FeatureLoss",
        "multi-layer feature reconstruction with the discriminator or a registered backbone (F4)",
    )
    register(
        "identity",
        "zoo_losses.identity:IdentityLoss",
        "identity losses from a frozen face-recognition encoder: source similarity and template consistency (F4)",
    )
    register(
        "adversarial",
        "zoo_losses.adversarial:AdversarialLoss",
        "hinge or non-saturating GAN loss, generator and discriminator sides (F4)",
    )
    register("ssim", "zoo_losses.ssim:SSIMLoss", "1 − SSIM to the label (Method P's objective)")
    register("ms_ssim", "zoo_losses.ssim:MSSSIMLoss", "1 − MS-SSIM to the label, 5 scales or fewer for small images")
