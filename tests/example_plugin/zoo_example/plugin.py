"""A third-party plugin: registers one component of each kind it cares about."""

from zoo.hookspecs import hookimpl


@hookimpl
def register_losses(register):
    register("example_tv", "zoo_example.losses:TotalVariation", "Total-variation smoothness penalty")


@hookimpl
def register_stages(register):
    register("example_note", "zoo_example.stages:Note", "Write a note into the run's metrics log")
