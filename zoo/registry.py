"""The component registry: lazy specs registered by plugins, built on demand.

A spec is a name, a ``"module:attr"`` target and a summary. Listing touches only specs; the
target module (and torch with it) is imported only when a component is built or inspected.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import pluggy

from zoo.errors import ArgumentError, ComponentNotFound, PluginConflict, ZooError
from zoo.discovery import BUILTIN_DISTRIBUTION, PluginInfo, discover, new_manager
from zoo.refs import RefProblem
from zoo.roles import RoleSpec, check_role

__all__ = [
    "KINDS",
    "ComponentSpec",
    "RegisterFn",
    "Registry",
    "RoleRegisterFn",
    "default_registry",
    "kind_named",
    "plural",
]

KINDS: tuple[str, ...] = ("backbone", "detector", "loss", "stage", "dataset")


def plural(kind: str) -> str:
    return "losses" if kind == "loss" else f"{kind}s"


def kind_named(word: str) -> str | None:
    """The kind a person means by ``word``: ``loss`` or ``losses`` → ``loss``; None if it names none."""
    return next((kind for kind in KINDS if word in (kind, plural(kind))), None)


_HOOKS = {kind: f"register_{plural(kind)}" for kind in KINDS}
_NAME = re.compile(r"^[a-z][a-z0-9_.\-]*$")
_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


class RegisterFn(Protocol):
    def __call__(self, name: str, target: str, summary: str, *, role: str | None = None) -> None: ...


class RoleRegisterFn(Protocol):
    def __call__(self, name: str, protocol: str, summary: str) -> None: ...


@dataclass
class ComponentSpec:
    """One registered component, not yet imported."""

    kind: str
    name: str
    target: str
    summary: str
    plugin: str
    distribution: str
    role: str | None = None
    role_spec: RoleSpec | None = field(default=None, repr=False, compare=False)  # set once roles are known
    _loaded: Any = field(default=None, repr=False, compare=False)
    _schema: Any = field(default=None, repr=False, compare=False)

    def load(self) -> Callable[..., Any]:
        """Import the target; an import failure names the component and its plugin."""
        if self._loaded is None:
            module_name, _, attr = self.target.partition(":")
            try:
                obj: Any = importlib.import_module(module_name)
                for part in attr.split("."):
                    obj = getattr(obj, part)
            except (ImportError, AttributeError) as error:
                raise ZooError(
                    f"{self.kind} '{self.name}' from {self.distribution} cannot be loaded "
                    f"({self.target}): {type(error).__name__}: {error}"
                ) from error
            self._loaded = obj
        return self._loaded

    def schema(self) -> Any:
        """The pydantic model of the component's arguments (see :mod:`zoo.schema`)."""
        if self._schema is None:
            from zoo.schema import schema_for

            self._schema = schema_for(self.load(), self.name)
        return self._schema

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        from pydantic import ValidationError

        from zoo.schema import format_path, format_validation_error, validate_args

        schema = self.schema()
        try:
            return validate_args(schema, args)
        except RefProblem as problem:
            detail = "; ".join(f"{format_path(path)}: {message}" for path, message in problem.problems)
            raise ArgumentError(f"{self.kind} '{self.name}': {detail}") from None
        except ValidationError as error:
            problems = format_validation_error(error, allowed=list(schema.model_fields))
            detail = "; ".join(f"{format_path(path)}: {message}" for path, message in problems)
            raise ArgumentError(f"{self.kind} '{self.name}': {detail}") from None

    def build(self, **args: Any) -> Any:
        """Validate, construct, and check the result against its role's protocol."""
        component = self.load()(**self.validate(args))
        if self.role_spec is not None:
            check_role(component, self.role_spec, f"{self.kind} '{self.name}' from {self.distribution}")
        return component


class Registry:
    """Specs by kind and name, plus what discovery learnt about each plugin."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str, str], ComponentSpec] = {}
        self._conflicts: dict[tuple[str, str], list[ComponentSpec]] = {}
        # The core consumes stages itself; every other role is declared by the plugin that uses it.
        self.roles: dict[str, RoleSpec] = {"stage": RoleSpec("stage", "zoo.schedule:Stage",
                                                             "a curriculum step: plan(state), run(context)",
                                                             "core", BUILTIN_DISTRIBUTION)}
        self.plugins: list[PluginInfo] = []
        self._manager: pluggy.PluginManager | None = None

    @classmethod
    def from_entry_points(cls) -> Registry:
        registry = cls()
        manager = registry._manager = new_manager()
        registry.plugins = discover(manager)
        by_name = {info.name: info for info in registry.plugins}
        for impl in reversed(manager.hook.register_roles.get_hookimpls()):
            info = by_name[impl.plugin_name]
            try:
                impl.function(register=registry._role_register_fn(info))
            except Exception as error:  # noqa: BLE001 - isolate a failing hook
                info.error = info.error or f"register_roles failed: {type(error).__name__}: {error}"
        for kind in KINDS:
            hook = getattr(manager.hook, _HOOKS[kind])
            for impl in reversed(hook.get_hookimpls()):  # pluggy lists last-registered first
                info = by_name[impl.plugin_name]
                try:
                    impl.function(register=registry._register_fn(kind, info))
                except Exception as error:  # noqa: BLE001 - isolate a failing hook
                    info.error = info.error or f"{_HOOKS[kind]} failed: {type(error).__name__}: {error}"
        registry._record_conflicts()
        registry._attach_roles()
        return registry

    def _role_register_fn(self, info: PluginInfo) -> RoleRegisterFn:
        def register(name: str, protocol: str, summary: str) -> None:
            if not _NAME.match(name):
                raise ValueError(f"invalid role name {name!r}: use lower-case letters, digits, '_', '-', '.'")
            if not _TARGET.match(protocol):
                raise ValueError(f"role '{name}': protocol {protocol!r} must look like 'package.module:attr'")
            if name in self.roles:
                raise ValueError(f"role '{name}' is already declared by {self.roles[name].distribution}")
            self.roles[name] = RoleSpec(name, protocol, summary.strip(), info.name, info.distribution)

        return register

    def _attach_roles(self) -> None:
        """Give every spec its role's protocol; a role nobody declared is the registering plugin's problem."""
        by_name = {info.name: info for info in self.plugins}
        for spec in self._specs.values():
            if spec.role is None:
                continue
            spec.role_spec = self.roles.get(spec.role)
            if spec.role_spec is None and spec.plugin in by_name:
                close = difflib.get_close_matches(spec.role, list(self.roles), n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"roles: {', '.join(sorted(self.roles))}"
                by_name[spec.plugin].problems.append(
                    f"{spec.kind} '{spec.name}' declares role '{spec.role}' that no plugin defines ({hint})")

    def _record_conflicts(self) -> None:
        """A name two packages register is unusable until one goes: tell both plugins' owners."""
        by_name = {info.name: info for info in self.plugins}
        for (kind, name), specs in self._conflicts.items():
            for spec in specs:
                others = " and ".join(f"{o.distribution} ({o.plugin})" for o in specs if o is not spec)
                problem = f"{kind} '{name}' is also registered by {others}; uninstall one"
                if spec.plugin in by_name:
                    by_name[spec.plugin].problems.append(problem)

    def add_commands(self, cli: Any) -> None:
        """Let each loaded plugin add CLI commands; a failing plugin is marked broken, not fatal.

        Built-in plugins go first. A command whose name is already taken (a core command, or one an
        earlier plugin added) is refused and listed under the plugin's problems: a plugin must never
        change what ``zoo run`` or ``zoo swap`` means behind the user's back.
        """
        if self._manager is None:
            return
        by_name = {info.name: info for info in self.plugins}
        owners = {name: "a core command" for name in cli.commands}
        impls = reversed(self._manager.hook.register_commands.get_hookimpls())
        for impl in sorted(impls, key=lambda impl: not by_name[impl.plugin_name].builtin):
            info = by_name[impl.plugin_name]
            before = dict(cli.commands)
            try:
                impl.function(cli=cli)
            except Exception as error:  # noqa: BLE001 - isolate a failing hook
                info.error = info.error or f"register_commands failed: {type(error).__name__}: {error}"
            for name, command in before.items():
                if cli.commands.get(name) is not command:
                    cli.commands[name] = command
                    info.problems.append(f"command '{name}' refused: it is {owners[name]}")
            for name in cli.commands.keys() - before.keys():
                owners[name] = f"added by plugin '{info.name}' ({info.distribution})"

    def _register_fn(self, kind: str, info: PluginInfo) -> RegisterFn:
        def register(name: str, target: str, summary: str, *, role: str | None = None) -> None:
            if not _NAME.match(name):
                raise ValueError(f"invalid {kind} name {name!r}: use lower-case letters, digits, '_', '-', '.'")
            if not _TARGET.match(target):
                raise ValueError(f"{kind} '{name}': target {target!r} must look like 'package.module:attr'")
            if not summary.strip():
                raise ValueError(f"{kind} '{name}': a one-line summary is required")
            if role is not None and not _NAME.match(role):
                raise ValueError(f"{kind} '{name}': invalid role {role!r}")
            default_role = None if kind == "backbone" else kind
            spec = ComponentSpec(kind, name, target, summary.strip(), info.name, info.distribution, role or default_role)
            self.add(spec)
            info.components[kind] = info.components.get(kind, 0) + 1

        return register

    def add(self, spec: ComponentSpec) -> None:
        key = (spec.kind, spec.name)
        if key in self._conflicts:
            self._conflicts[key].append(spec)
        elif key in self._specs:
            self._conflicts[key] = [self._specs.pop(key), spec]
        else:
            self._specs[key] = spec

    def conflicts(self, kind: str | None = None, pattern: str = "*") -> dict[tuple[str, str], list[ComponentSpec]]:
        """Names registered by more than one package (unusable until one is uninstalled)."""
        return {
            key: list(specs)
            for key, specs in sorted(self._conflicts.items())
            if (kind is None or key[0] == kind) and fnmatch.fnmatchcase(key[1], pattern)
        }

    def get(self, kind: str, name: str) -> ComponentSpec:
        if kind not in KINDS:
            raise ZooError(f"unknown component kind {kind!r} (kinds: {', '.join(KINDS)})")
        key = (kind, name)
        if key in self._conflicts:
            owners = " and ".join(f"{s.distribution} ({s.plugin})" for s in self._conflicts[key])
            raise PluginConflict(f"{kind} '{name}' is registered by two plugins: {owners}; uninstall one")
        if key in self._specs:
            return self._specs[key]
        raise ComponentNotFound(self._not_found_message(kind, name))

    def _not_found_message(self, kind: str, name: str) -> str:
        names = sorted(spec.name for spec in self.list(kind))
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        message = f"unknown {kind} '{name}'"
        if close:
            message += ": did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        message += f" ({len(names)} {plural(kind)} available: `zoo list {kind}`)"
        broken = [info.name for info in self.plugins if not info.ok]
        if broken:
            message += f"; plugins that failed to load: {', '.join(broken)} (`zoo plugins`)"
        return message

    def find(self, name: str) -> list[ComponentSpec]:
        """Every spec with this name, across kinds (``zoo info NAME``)."""
        return [spec for (kind, spec_name), spec in self._specs.items() if spec_name == name]

    def list(self, kind: str | None = None, pattern: str = "*", role: str | None = None) -> list[ComponentSpec]:
        if kind is not None and kind not in KINDS:
            raise ZooError(f"unknown component kind {kind!r} (kinds: {', '.join(KINDS)})")
        if role is not None and role not in self.roles:
            raise ZooError(f"unknown role {role!r} (roles: {', '.join(sorted(self.roles))})")
        specs = [
            spec
            for spec in self._specs.values()
            if (kind is None or spec.kind == kind) and fnmatch.fnmatchcase(spec.name, pattern)
            and (role is None or spec.role == role)
        ]
        return sorted(specs, key=lambda spec: (KINDS.index(spec.kind), spec.name))

    def build(self, kind: str, name: str, **args: Any) -> Any:
        return self.get(kind, name).build(**args)


@cache
def default_registry() -> Registry:
    """The process-wide registry, discovered once from installed entry points."""
    return Registry.from_entry_points()
