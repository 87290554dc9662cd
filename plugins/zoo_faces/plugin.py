"""Registers the classical compositor and the ``zoo detect`` command. Imports nothing heavy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

    from zoo.registry import RegisterFn

__all__ = ["register_roles", "register_backbones", "register_commands"]


@hookimpl
def register_roles(register) -> None:  # type: ignore[no-untyped-def]
    register("detector", "zoo_faces.detections:Detector", "faces in photos: detect(images) -> FaceDetections per image")


@hookimpl
def register_backbones(register: RegisterFn) -> None:
    register(
        "classical_compositor",
        "zoo_faces.compositor:ClassicalCompositor",
        "weight-free swapper: align, Lab colour transfer, multi-band blending in a landmark mask (P10/F1/F2)",
        role="swapper",
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    from zoo_faces.detect_command import detect_command  # click only: torch loads inside the command

    cli.add_command(detect_command)
