"""Options several commands share, spelled and checked one way: ``-a/--detector-arg`` and ``--device``.

One module so that ``zoo swap``, ``detect``, ``prepare`` and ``eval`` cannot drift apart again (they
did: ``-a`` was ``--arg`` in two of them). Only click is imported here, so ``zoo --help`` stays fast;
the device check imports torch when a command runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import click

from zoo.errors import ZooError

__all__ = ["DEVICE_HELP", "check_device", "detector_arg_option", "detector_arguments", "detector_on_device",
           "device_option"]

DEVICE_HELP = ("torch device (cpu, cuda, cuda:N, mps) for every network the command runs; "
               "dlib components run on the CPU whatever this says.")


def device_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--device`` (default cpu), passed to the command as ``device``."""
    return click.option("--device", default="cpu", show_default=True, help=DEVICE_HELP)(command)


def check_device(device: str) -> None:
    """One ``--device ...`` line, before anything loads, when the device does not exist here."""
    from zoo.recipe.resources import device_problem

    problem = device_problem(device)
    if problem:
        raise ZooError(f"--device {problem}")


def detector_arg_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``-a/--detector-arg KEY=VALUE`` (as ``detector_args``) plus the old ``--arg`` spelling, hidden."""
    command = click.option("--arg", "old_detector_args", multiple=True, hidden=True,
                           help="Deprecated spelling of --detector-arg.")(command)
    return click.option("-a", "--detector-arg", "detector_args", multiple=True, metavar="KEY=VALUE",
                        help="Detector argument, value read as YAML, e.g. -a model=cnn, "
                             "or -a body=mobilenet0.25 -a weights=w.safetensors for --detector retinaface.")(command)


def detector_arguments(detector_args: tuple[str, ...], old_detector_args: tuple[str, ...],
                       command: str) -> tuple[str, ...]:
    """Both spellings' values, in order; ``--arg`` says once that it is going away."""
    if old_detector_args:
        warnings.warn(f"'zoo {command} --arg' is deprecated and read until faceswap-zoo 0.3: write "
                      "'-a/--detector-arg' (the same name in every command)", FutureWarning, stacklevel=2)
    return tuple(old_detector_args) + tuple(detector_args)


def detector_on_device(name: str, args: dict[str, Any], device: str) -> dict[str, Any]:
    """The detector's arguments with ``device`` added when it takes one (RetinaFace) and none was given.

    dlib's detector has no device argument: it runs on the CPU, and ``--device cuda`` leaves it there.
    """
    from zoo.registry import default_registry

    if "device" in args or "device" not in default_registry().get("detector", name).schema().model_fields:
        return args
    return {**args, "device": device}
