"""The example plugin's broken twin: it depends on a package that is not installed."""

import zoo_dependency_that_does_not_exist  # noqa: F401

from zoo.hookspecs import hookimpl


@hookimpl
def register_losses(register):
    register("never_seen", "zoo_broken.losses:Never", "Never registered: the import above fails")
