"""Plugin discovery: the core walks the ``zoo`` entry points itself, one plugin at a time.

Each plugin loads in isolation, so one that fails to import (or whose hook raises) is recorded as
broken — distribution, version, error — and every other plugin keeps working. Discovery imports
only the plugin modules named by entry points, which must stay light (no torch).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

import pluggy

from zoo import hookspecs

__all__ = ["ENTRY_POINT_GROUP", "BUILTIN_DISTRIBUTION", "PluginInfo", "discover", "selected"]

ENTRY_POINT_GROUP = "zoo"
BUILTIN_DISTRIBUTION = "faceswap-zoo"


@dataclass
class PluginInfo:
    """What `zoo plugins` shows for one entry point."""

    name: str
    module: str
    distribution: str
    version: str
    builtin: bool
    error: str | None = None
    components: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # not fatal: name conflicts, refused commands

    @property
    def ok(self) -> bool:
        return self.error is None


def _distribution(entry_point: EntryPoint) -> tuple[str, str]:
    dist = entry_point.dist
    if dist is None:
        return ("unknown", "unknown")
    return (dist.metadata["Name"], dist.version)


def selected(entry_point: EntryPoint, dist_name: str, setting: str | None) -> bool:
    """Apply ``ZOO_PLUGINS``: unset = all, empty = built-ins only, comma list = only those.

    A list item matches an entry-point name or a distribution name.
    """
    if setting is None:
        return True
    wanted = {item.strip() for item in setting.split(",") if item.strip()}
    if not wanted:
        return dist_name == BUILTIN_DISTRIBUTION
    return entry_point.name in wanted or dist_name in wanted


def _zoo_entry_points() -> Iterable[EntryPoint]:
    # Sorted so that registration order (and thus conflict messages) never depends on sys.path order.
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))


def discover(manager: pluggy.PluginManager) -> list[PluginInfo]:
    """Import and register every selected plugin module; never raises for a broken plugin."""
    setting = os.environ.get("ZOO_PLUGINS")
    found: list[PluginInfo] = []
    seen_modules: set[str] = set()
    for entry_point in _zoo_entry_points():
        dist_name, version = _distribution(entry_point)
        if entry_point.value in seen_modules or not selected(entry_point, dist_name, setting):
            continue
        seen_modules.add(entry_point.value)
        info = PluginInfo(
            name=entry_point.name,
            module=entry_point.value,
            distribution=dist_name,
            version=version,
            builtin=dist_name == BUILTIN_DISTRIBUTION,
        )
        try:
            module = entry_point.load()
            manager.register(module, name=entry_point.name)
        except Exception as error:  # noqa: BLE001 - a plugin may fail in any way; isolate it
            info.error = f"{type(error).__name__}: {error}"
        else:
            unknown = _unknown_hooks(manager, module)
            if unknown:
                manager.unregister(module)
                info.error = unknown
        found.append(info)
    return found


def _unknown_hooks(manager: pluggy.PluginManager, module: object) -> str | None:
    """pluggy accepts a misspelt ``@hookimpl`` silently (it waits for a spec that never comes).

    Such a plugin would load as "ok" with nothing registered, so it is reported as broken instead,
    naming the hook and the valid ones.
    """
    valid = sorted(name for name, caller in vars(manager.hook).items() if caller.has_spec())
    bad = sorted(caller.name for caller in manager.get_hookcallers(module) or [] if not caller.has_spec())
    if not bad:
        return None
    described = []
    for name in bad:
        close = difflib.get_close_matches(name, valid, n=1)
        described.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"unknown hook {', '.join(described)}; valid hooks: {', '.join(valid)}"


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager
