"""Implements ``register_loss`` (singular): pluggy alone would accept it and register nothing."""

from zoo.hookspecs import hookimpl


@hookimpl
def register_loss(register):
    register("never_registered", "zoo_misbehaving.misspelt:Never", "never seen: the hook name is wrong")
