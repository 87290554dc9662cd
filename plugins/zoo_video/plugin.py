"""Adds ``zoo export --onnx``; the video options of ``zoo swap`` come from :mod:`zoo_video.options`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

__all__ = ["register_commands"]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from zoo_video.options import export_command  # click only: torch loads inside the command

    cli.add_command(export_command)
