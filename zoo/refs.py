"""Typed component references: an argument that names another registered component.

``swapper: Ref("swapper") = "classical_compositor"`` accepts a name or ``{name: NAME, arg: value, …}``
and is validated where the recipe is: the name exists, plays that role, and its arguments pass its
own schema — recursively, with the nested argument's path in the message. The component receives
a :class:`ComponentRef` and builds it when it needs it. ``special`` names (``'exact'``, ``'learned'``)
are values with a meaning of their own to the component, taking no arguments.

The older spelling, a name plus a sibling ``<field>_args`` mapping, is still read for one release
(see :func:`merge_legacy_args`), with a deprecation warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Annotated, Any

__all__ = ["ComponentRef", "Ref", "RefMarker", "RefProblem", "as_ref", "merge_legacy_args", "plain", "ref_marker"]


@dataclass(frozen=True)
class ComponentRef:
    """A validated reference: ``kind`` is None for a special name the owning component interprets."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    kind: str | None = "backbone"

    def build(self, **extra: Any) -> Any:
        """Build the referenced component (``extra`` arguments override the recipe's)."""
        if self.kind is None:
            raise ValueError(f"'{self.name}' is a special value, not a component to build")
        from zoo.registry import default_registry

        return default_registry().build(self.kind, self.name, **{**self.args, **extra})

    def as_yaml(self) -> str | dict[str, Any]:
        """How a recipe or config.json writes it: the bare name when there are no arguments."""
        return {"name": self.name, **plain(self.args)} if self.args else self.name

    def without(self, *keys: str) -> ComponentRef:
        """The same reference minus some arguments (e.g. a machine-local ``weights`` path)."""
        return ComponentRef(self.name, {k: v for k, v in self.args.items() if k not in keys}, self.kind)


class RefProblem(ValueError):
    """What is wrong with a reference, as (path inside the reference, message) pairs."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]):
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


@dataclass(frozen=True)
class RefMarker:
    roles: tuple[str, ...]
    kind: str
    special: tuple[str, ...]

    @property
    def role(self) -> str:
        return " or ".join(self.roles)

    def describe(self) -> str:
        extra = "".join(f" | '{name}'" for name in self.special)
        return f"{self.role} reference{extra}"


def _parse(marker: RefMarker, value: Any) -> ComponentRef:
    from pydantic import ValidationError

    from zoo.errors import ZooError
    from zoo.registry import default_registry
    from zoo.schema import format_validation_error, validate_args

    if isinstance(value, ComponentRef):
        return value
    if isinstance(value, str):
        name, args = value, {}
    elif isinstance(value, dict) and isinstance(value.get("name"), str):
        name, args = value["name"], {k: v for k, v in value.items() if k != "name"}
    else:
        raise RefProblem([((), f"must name a registered {marker.role}: NAME or {{name: NAME, ARG: VALUE, ...}}, "
                                f"got {value!r}")])
    if name in marker.special:
        if args:
            raise RefProblem([((), f"'{name}' takes no arguments")])
        return ComponentRef(name, {}, None)
    registry = default_registry()
    try:
        spec = registry.get(marker.kind, name)
    except ZooError as error:
        raise RefProblem([((), str(error))]) from None
    if spec.role not in marker.roles:
        others = ", ".join(s.name for role in marker.roles for s in registry.list(marker.kind, role=role)) or "none installed"
        special = "".join(f", '{s}'" for s in marker.special)
        raise RefProblem([((), f"{marker.kind} '{name}' is {_a(spec.role)}, not {_a(marker.role)} "
                               f"({marker.role}s: {others}{special})")])
    try:
        schema = spec.schema()
        return ComponentRef(name, validate_args(schema, args), marker.kind)
    except ValidationError as error:
        raise RefProblem(format_validation_error(error, allowed=list(schema.model_fields))) from None
    except ZooError as error:
        raise RefProblem([((), str(error))]) from None


def _a(role: str | None) -> str:
    if role is None:
        return "a component without a role"
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


def Ref(role: str | tuple[str, ...], *, kind: str = "backbone", special: tuple[str, ...] = ()) -> Any:  # noqa: N802
    """The annotation of an argument naming a component of ``role`` (or of any of several roles)."""
    from pydantic import BeforeValidator, PlainSerializer  # here, not at import: listing stays pydantic-free

    marker = RefMarker((role,) if isinstance(role, str) else tuple(role), kind, tuple(special))
    return Annotated[
        ComponentRef,
        BeforeValidator(lambda value: _parse(marker, value)),
        PlainSerializer(lambda ref: ref.as_yaml()),
        marker,
    ]


def plain(value: Any) -> Any:
    """``value`` with every :class:`ComponentRef` written as a recipe would (for JSON and YAML)."""
    if isinstance(value, ComponentRef):
        return plain(value.as_yaml())
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def ref_marker(metadata: list[Any] | tuple[Any, ...]) -> RefMarker | None:
    return next((item for item in metadata if isinstance(item, RefMarker)), None)


def as_ref(ref_type: Any, value: Any) -> ComponentRef:
    """Validate ``value`` against a ``Ref(...)`` alias: for components called from Python with a plain name."""
    marker = ref_marker(getattr(ref_type, "__metadata__", ()))
    if marker is None:
        raise TypeError(f"{ref_type!r} is not a Ref(...) annotation")
    try:
        return _parse(marker, value)
    except RefProblem as problem:
        from zoo.errors import ArgumentError

        raise ArgumentError(f"{marker.role} reference {value!r}: {problem}") from None


def merge_legacy_args(ref_fields: list[str], known: set[str], args: dict[str, Any]) -> dict[str, Any]:
    """Fold a deprecated ``<field>_args`` mapping into ``<field>: {name: …, …}``, with a warning."""
    merged = dict(args)
    for name in ref_fields:
        legacy = f"{name}_args"
        if legacy in merged and legacy not in known:
            extra = merged.pop(legacy)
            if not isinstance(extra, dict):
                raise RefProblem([((legacy,), "must be a mapping of arguments")])
            if extra:
                current = merged.get(name)
                base = current if isinstance(current, dict) else {"name": current} if isinstance(current, str) else None
                if base is None:
                    raise RefProblem([((legacy,), f"needs '{name}' to name the component it configures")])
                merged[name] = {**base, **extra}
                warnings.warn(f"'{legacy}' is deprecated and read until faceswap-zoo 0.3: write "
                              f"'{name}: {{name: {base['name']}, ...}}' instead", FutureWarning, stacklevel=2)
    return merged
