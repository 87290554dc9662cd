"""Registers a loss under the built-in name ``pixel``."""

from zoo.hookspecs import hookimpl


@hookimpl
def register_losses(register):
    register("pixel", "zoo_misbehaving.conflicting:Pixel", "a second 'pixel' loss")
