"""Adds ``zoo swap`` and ``zoo eval``. Imports nothing heavy: torch loads inside the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

    from zoo.registry import RegisterFn

__all__ = ["register_commands", "register_roles", "register_stages"]


@hookimpl
def register_roles(register) -> None:  # type: ignore[no-untyped-def]
    register("judge", "zoo_inference.judges:Judge",
             "scores identity in zoo eval: forward(aligned faces) -> unit embeddings; needs no gradients")


@hookimpl
def register_stages(register: RegisterFn) -> None:
    register("judge", "zoo_inference.judge_stage:JudgeStage",
             "Identity and pose on held-out people by an independent judge, beside template, source and compositor")


@hookimpl
def register_commands(cli: click.Group) -> None:
    from zoo_inference.commands import eval_command, swap_command

    cli.add_command(swap_command)
    cli.add_command(eval_command)
