"""``-o stages.2.lr=1e-5``: dotted paths into nested mappings and lists, values parsed as YAML."""

from __future__ import annotations

from typing import Any

from zoo.assignments import parse_assignment
from zoo.errors import ZooError
from zoo.recipe.source import LocatedYaml, YamlPath
from zoo.schema import format_path

__all__ = ["parse_override", "apply_overrides"]

#: Top-level sections whose every setting has a default: ``-o DIR`` (``output.dir``) or
#: ``--set output.checkpoint_every=5`` must work on a recipe that never wrote an ``output:`` section.
_OPTIONAL_SECTIONS = ("output",)


def parse_override(text: str) -> tuple[YamlPath, Any]:
    key, value = parse_assignment(text, "override", "key.path=value", "stages.2.lr=1e-5")
    path: YamlPath = tuple(int(part) if part.isdigit() else part for part in key.split("."))
    return path, value


def _descend(container: Any, part: str | int, done: YamlPath, text: str) -> Any:
    if isinstance(container, list):
        if not isinstance(part, int):
            raise ZooError(f"override {text!r}: {format_path(done)} is a list; use an index, not {part!r}")
        if not 0 <= part < len(container):
            raise ZooError(f"override {text!r}: {format_path(done)} has {len(container)} items, no index {part}")
        return container[part]
    if isinstance(container, dict):
        if part not in container:
            known = ", ".join(map(str, container)) or "none"
            raise ZooError(f"override {text!r}: {format_path(done + (part,))} does not exist (keys here: {known})")
        return container[part]
    raise ZooError(f"override {text!r}: {format_path(done)} is a value, it has no key {part!r}")


def apply_overrides(located: LocatedYaml, overrides: list[str]) -> None:
    """Set each value in place. Intermediate keys must exist (an optional section is made); the last key may add one."""
    for text in overrides:
        path, value = parse_override(text)
        target = located.data
        if len(path) > 1 and path[0] in _OPTIONAL_SECTIONS and isinstance(target, dict) and target.get(path[0]) is None:
            target[path[0]] = {}
        for depth, part in enumerate(path[:-1]):
            target = _descend(target, part, path[:depth], text)
        last = path[-1]
        if isinstance(target, list):
            _descend(target, last, path[:-1], text)
            target[last] = value
        elif isinstance(target, dict):
            target[last] = value
        else:
            raise ZooError(f"override {text!r}: {format_path(path[:-1])} is a value, it has no key {last!r}")
        located.overridden[path] = text
