"""Registers the frozen identity encoders (no heavy imports here: targets load lazily)."""

from __future__ import annotations

from zoo.hookspecs import hookimpl

__all__ = ["register_backbones"]


@hookimpl
def register_backbones(register) -> None:
    register(
        "mobilefacenet",
        "zoo_identity.mobilefacenet:MobileFaceNet",
        "MobileFaceNet identity encoder, 128-d (256-d with flip); loads the CASIA-WebFace weights",
        role="identity_encoder",
    )
    register(
        "arcface_iresnet",
        "zoo_identity.iresnet:IResNet",
        "ArcFace IResNet-18/34/50/100 identity encoder, 512-d; insightface arcface_torch layout",
        role="identity_encoder",
    )
