"""Registers the swap generator and the discriminator. Imports nothing heavy (see zoo.hookspecs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo.registry import RegisterFn

__all__ = ["register_backbones"]


@hookimpl
def register_roles(register) -> None:  # type: ignore[no-untyped-def]
    register("identity_encoder", "zoo_swap.roles:IdentityEncoder",
             "frozen face recognition: aligned 112 px faces -> embeddings (generator conditioning, identity loss)")


@hookimpl
def register_backbones(register: RegisterFn) -> None:
    register(
        "adain_swap",
        "zoo_swap.generator:AdainSwap",
        "AdaIN identity-swap generator (F5), growable by resolution-update layers (P3/P7/P8)",
        role="generator",
    )
    register(
        "masked_swap",
        "zoo_swap.masked:MaskedSwap",
        "masked U-Net swap generator: template skips, AdaIN identity at every scale, face mask blend; growable",
        role="generator",
    )
    register(
        "patchgan",
        "zoo_swap.discriminator:PatchGAN",
        "multi-scale PatchGAN discriminator returning logits and intermediate features",
        role="discriminator",
    )
