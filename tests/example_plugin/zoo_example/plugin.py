"""A third-party plugin: a role of its own, a component of that role, a loss referring to it, a stage.

Written against ``zoo.sdk`` only, as any plugin outside this repository would be.
"""

from zoo.sdk import RegisterFn, RoleRegisterFn, hookimpl


@hookimpl
def register_roles(register: RoleRegisterFn) -> None:
    register("example_filter", "zoo_example.roles:ImageFilter", "an image-to-image filter a loss applies first")


@hookimpl
def register_backbones(register: RegisterFn) -> None:
    register("example_box_blur", "zoo_example.filters:BoxBlur", "k×k box blur", role="example_filter")


@hookimpl
def register_losses(register: RegisterFn) -> None:
    register("example_tv", "zoo_example.losses:TotalVariation", "Total-variation smoothness penalty")


@hookimpl
def register_stages(register: RegisterFn) -> None:
    register("example_note", "zoo_example.stages:Note", "Write a note into the run's metrics log")
    register("example_warmup", "zoo_example.warmup:ReconstructionWarmup",
             "Self-reconstruction warm-up, trained with the SDK's TrainingLoop (exact resume)")
