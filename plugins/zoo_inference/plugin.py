"""Adds ``zoo swap`` and ``zoo eval``. Imports nothing heavy: torch loads inside the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

__all__ = ["register_commands"]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from zoo_inference.commands import eval_command, swap_command

    cli.add_command(swap_command)
    cli.add_command(eval_command)
