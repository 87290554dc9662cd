"""Roles: what a registered component *is* (a generator, a detector, a judge …) and must therefore do.

A kind (``backbone``, ``detector`` …) says where a recipe may name a component; a role says which
contract it fulfils. Roles are open-ended: a plugin declares one with ``register_roles``, pointing
at a :class:`typing.Protocol` in the plugin that *consumes* such components (the curriculum owns
the generator protocol it grows, the losses plugin the discriminator it reads features from).
Components declare their role when they register; building one checks it against the protocol and
names the member that is missing or has the wrong signature, with the component's package.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any

from zoo.errors import ZooError

__all__ = ["RoleSpec", "RoleError", "protocol_members", "check_role"]


class RoleError(ZooError):
    """A component does not do what its declared role requires."""


@dataclass
class RoleSpec:
    """One declared role; the protocol is imported only when a component of the role is checked."""

    name: str
    target: str
    summary: str
    plugin: str
    distribution: str
    _protocol: Any = field(default=None, repr=False, compare=False)

    def protocol(self) -> type:
        if self._protocol is None:
            module_name, _, attr = self.target.partition(":")
            try:
                self._protocol = getattr(importlib.import_module(module_name), attr)
            except (ImportError, AttributeError) as error:
                raise ZooError(f"role '{self.name}' from {self.distribution} cannot be loaded ({self.target}): "
                               f"{type(error).__name__}: {error}") from error
        return self._protocol


_PROTOCOL_INTERNALS = frozenset(dir(type("Empty", (), {}))) | {"_is_protocol", "_is_runtime_protocol", "__protocol_attrs__"}


def protocol_members(protocol: type) -> dict[str, Any]:
    """Members a protocol requires: its methods, properties and annotated attributes (``__call__`` included)."""
    members: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass.__module__ == "typing" or klass is object:
            continue
        for name in getattr(klass, "__annotations__", {}):
            members.setdefault(name, None)
        for name, value in vars(klass).items():
            if name in _PROTOCOL_INTERNALS or (name.startswith("_") and name != "__call__"):
                continue
            members[name] = value
    return members


def _positional_parameters(function: Any) -> list[str]:
    parameters = list(inspect.signature(function).parameters.values())[1:]  # drop self
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def check_role(component: Any, role: RoleSpec, label: str) -> None:
    """Raise :class:`RoleError` naming the first member ``component`` lacks or cannot be called as."""
    protocol = role.protocol()
    for name, expected in protocol_members(protocol).items():
        if not hasattr(component, name):
            raise RoleError(f"{label} does not play role '{role.name}': it has no '{name}' "
                            f"(the role is defined by {role.target})")
        if not inspect.isfunction(expected):
            continue
        actual = getattr(component, name)
        wanted = _positional_parameters(expected)
        try:
            inspect.signature(actual).bind(*wanted)
        except TypeError:
            takes = ", ".join(inspect.signature(actual).parameters)
            raise RoleError(f"{label} does not play role '{role.name}': it has {name}({takes}), "
                            f"the role calls {name}({', '.join(wanted)})") from None
        except ValueError:  # a builtin without a signature: nothing to check
            continue
