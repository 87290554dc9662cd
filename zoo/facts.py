"""Typed cross-stage state: one small frozen record per fact, keyed by its type.

Stages talk to later stages through facts — "samples exist at 64px in these groups", "a grow left
these new parameters", "the model folder was exported here". Each fact is a frozen dataclass
defined by the plugin that produces it, so a consumer imports the type it reads and a typo is an
``ImportError``, not a silently missing string key::

    @dataclass(frozen=True)
    class Grid(Fact, key="curriculum.grid"):
        path: str

    context.put(Grid(str(path)))          # at run time (checkpointed)
    grid = context.get(Grid)              # -> Grid | None
    state.put(Samples(...))               # at plan time, on the ScheduleState

The ``key`` names the fact in checkpoints (JSON), so renaming a class or moving its module keeps
old checkpoints readable; two fact types may not claim one key. A fact is written as its fields
(``dataclasses.asdict``) and read back by the type that asks for it, which is why a checkpoint can
hold facts of a plugin that is imported only later. Fields are JSON values; tuples come back as
tuples, and a fact with richer fields overrides :meth:`Fact.from_json`.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, ClassVar, TypeVar

__all__ = ["Fact", "FactStore"]

F = TypeVar("F", bound="Fact")

_TYPES: dict[str, type[Fact]] = {}
"""Every fact type by key: a key names one type in every checkpoint, so two may not share it."""


class Fact:
    """Base of every fact: subclass it as a frozen dataclass with ``key="plugin.name"``."""

    key: ClassVar[str]

    def __init_subclass__(cls, key: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if key is None:
            raise TypeError(f"fact type {cls.__qualname__} needs a key: class {cls.__name__}(Fact, key='plugin.name')")
        claimed = _TYPES.get(key)
        if claimed is not None and f"{claimed.__module__}.{claimed.__qualname__}" != f"{cls.__module__}.{cls.__qualname__}":
            raise TypeError(f"fact key {key!r} of {cls.__module__}.{cls.__qualname__} is already taken by "
                            f"{claimed.__module__}.{claimed.__qualname__}")
        cls.key = key
        _TYPES[key] = cls

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls: type[F], data: dict[str, Any]) -> F:
        hints = typing.get_type_hints(cls)
        values = {
            name: tuple(value) if isinstance(value, list) and typing.get_origin(hints.get(name)) is tuple else value
            for name, value in data.items()
        }
        return cls(**values)


class FactStore:
    """The facts of a plan or a run, at most one per type; JSON in and out for checkpoints."""

    def __init__(self, stored: dict[str, dict[str, Any]] | None = None) -> None:
        # Read from a checkpoint: kept as JSON until a type asks for it (its module may load later).
        self._json: dict[str, dict[str, Any]] = dict(stored or {})
        self._facts: dict[str, Fact] = {}

    def put(self, fact: Fact) -> None:
        """Record ``fact``, replacing the earlier fact of its type."""
        if not isinstance(fact, Fact) or not dataclasses.is_dataclass(fact):
            raise TypeError(f"put() takes a Fact dataclass, got {type(fact).__name__}")
        self._json.pop(fact.key, None)
        self._facts[fact.key] = fact

    def get(self, kind: type[F]) -> F | None:
        """The fact of type ``kind``, or None when no stage recorded one."""
        if kind.key in self._json:
            self._facts[kind.key] = kind.from_json(self._json.pop(kind.key))
        found = self._facts.get(kind.key)
        if found is not None and not isinstance(found, kind):
            raise TypeError(f"fact {kind.key!r} holds a {type(found).__qualname__}, not a {kind.__qualname__}")
        return found  # type: ignore[return-value]

    def __contains__(self, kind: type[Fact]) -> bool:
        return kind.key in self._facts or kind.key in self._json

    def to_json(self) -> dict[str, dict[str, Any]]:
        return {**self._json, **{key: fact.to_json() for key, fact in self._facts.items()}}
