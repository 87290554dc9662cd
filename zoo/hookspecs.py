"""The plugin author's manual: every hook a `zoo` plugin may implement.

A plugin is a module named by an entry point in the ``zoo`` group. It implements any of these
hooks with ``@zoo.hookimpl``. Each ``register_*`` hook receives a ``register`` callable and calls
it once per component::

    register(name, "package.module:attr", "one-line summary", role="generator")

``role`` says what the component *is* and so what it must do (see :mod:`zoo.roles` and
``zoo list --roles``); it defaults to the kind for detectors, losses, stages and datasets, and a
backbone should always give one. A role is declared by the plugin that consumes components of it,
with ``register_roles``; building a component checks it against its role's protocol.

Registration is lazy on purpose: the target module is imported only when the component is
built or inspected, so ``zoo list`` stays fast and a heavy or broken dependency of one component
cannot break the others. A plugin module itself must therefore import nothing heavy (no torch).

The target is a class or a factory function. Its typed signature *is* the component's argument
schema: recipes are validated against it (pydantic, with ``Annotated[..., Field(...)]``
constraints) and ``zoo info NAME`` prints it. Use the first docstring line as the summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from zoo.registry import RegisterFn, RoleRegisterFn

PROJECT = "zoo"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_roles(register: RoleRegisterFn) -> None:
    """Declare roles: ``register("generator", "package.module:Protocol", "what such a component does")``.

    The protocol is a :class:`typing.Protocol` whose methods, properties and annotated attributes
    every component of the role must have, callable with the protocol's positional parameters.
    Declare a role in the plugin that uses such components, so the contract lives with its user.
    """


@hookspec
def register_backbones(register: RegisterFn) -> None:
    """Register networks: generators, discriminators, identity encoders, swappers, upscalers."""


@hookspec
def register_detectors(register: RegisterFn) -> None:
    """Register face detectors: ``detect(images) -> list of boxes, scores and 5 landmarks``."""


@hookspec
def register_losses(register: RegisterFn) -> None:
    """Register training objectives a recipe's ``losses`` section may name."""


@hookspec
def register_stages(register: RegisterFn) -> None:
    """Register curriculum stages a recipe's ``stages`` list may name."""


@hookspec
def register_datasets(register: RegisterFn) -> None:
    """Register datasets a recipe's ``data`` section may name."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add CLI commands. Import heavy modules inside the command body, never at module level."""
