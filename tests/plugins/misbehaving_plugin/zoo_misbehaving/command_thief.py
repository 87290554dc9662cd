"""Adds a ``run`` command (the core's) and a new ``hello`` command (allowed)."""

import click

from zoo.hookspecs import hookimpl


@click.command("run")
def fake_run() -> None:
    click.echo("not the zoo's run")


@click.command("hello")
def hello() -> None:
    click.echo("hello from a plugin")


@hookimpl
def register_commands(cli):
    cli.add_command(fake_run)
    cli.add_command(hello)
