"""``zoo info NAME``: everything a recipe author needs to use one component."""

from __future__ import annotations

import sys
from dataclasses import asdict

from zoo.errors import ComponentNotFound, ZooError
from zoo.progress import status
from zoo.registry import KINDS, ComponentSpec, default_registry
from zoo.schema import describe_arguments

__all__ = ["describe", "describe_data", "resolve"]


def resolve(name: str) -> ComponentSpec:
    """``NAME`` or ``KIND:NAME``; an ambiguous bare name asks for the kind."""
    registry = default_registry()
    kind, sep, bare = name.partition(":")
    if sep:
        return registry.get(kind, bare)
    matches = registry.find(name)
    if len(matches) > 1:
        options = ", ".join(f"{spec.kind}:{spec.name}" for spec in matches)
        raise ZooError(f"'{name}' names several components; say which: {options}")
    if matches:
        return matches[0]
    close = []
    for kind in KINDS:
        try:
            registry.get(kind, name)
        except ComponentNotFound as error:
            if "did you mean" in str(error):
                close.append(str(error).split("did you mean ", 1)[1].split("?")[0] + f" ({kind})")
    hint = f": did you mean {'; '.join(close)}?" if close else " (see `zoo list`)"
    raise ComponentNotFound(f"no component named '{name}'{hint}")


def _arguments(spec: ComponentSpec) -> list:
    if spec.target.partition(":")[0] not in sys.modules:
        # Importing a component's module (torch, its weights code) takes seconds; say why the wait.
        status(f"loading {spec.kind} '{spec.name}' from {spec.distribution} …")
    return describe_arguments(spec.schema())


def describe_data(name: str) -> dict[str, object]:
    """``zoo info --json``: the same as :func:`describe`, as data."""
    spec = resolve(name)
    return {"kind": spec.kind, "name": spec.name, "role": spec.role, "summary": spec.summary,
            "package": spec.distribution, "plugin": spec.plugin, "target": spec.target,
            "arguments": [asdict(row) for row in _arguments(spec)]}


def describe(name: str) -> str:
    spec = resolve(name)
    rows = _arguments(spec)
    lines = [
        f"{spec.kind} '{spec.name}' — {spec.summary}",
        f"  from {spec.distribution} (plugin '{spec.plugin}'), implemented by {spec.target}"
        + (f"; role '{spec.role}'" if spec.role else ""),
        "",
        "arguments:" if rows else "arguments: none",
    ]
    for row in rows:
        default = "required" if row.required else f"default {row.default}"
        extra = f"; {row.constraints}" if row.constraints else ""
        lines.append(f"  {row.name}: {row.type} ({default}{extra})")
        if row.description:
            lines.append(f"      {row.description}")
    return "\n".join(lines)
