"""The plugin author's SDK: everything a third-party plugin needs, from one public module.

``from zoo.sdk import hookimpl, Ref, ComponentRef, Stage, StagePlan, ScheduleState, PlanError, Fact``
costs no torch; nor do the helpers ``resize``, ``resolve_weights``, ``load_strict`` and ``parse_hf``
(they import torch when called). The run-time types (``RunContext``, ``StageSummary``, ``Interrupted``,
``TrainingLoop``, ``build_frozen``) load on first use, so a plugin's ``plugin.py`` can import this module freely.
The hooks themselves are documented in :mod:`zoo.hookspecs`; roles in :mod:`zoo.roles`; the
plugin guide is ``docs/plugins.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zoo.errors import ArgumentError, ZooError
from zoo.facts import Fact
from zoo.hookspecs import hookimpl
from zoo.refs import ComponentRef, Ref, as_ref
from zoo.registry import RegisterFn, RoleRegisterFn
from zoo.resize import resize
from zoo.roles import RoleError
from zoo.schedule import PlanError, ScheduleState, Stage, StagePlan
from zoo.weights import HubFile, load_strict, parse_hf, resolve_weights

if TYPE_CHECKING:
    from zoo.context import Interrupted, RunContext, StageSummary
    from zoo.paths import WeightsLocation
    from zoo.frozen import build_frozen
    from zoo.training import TrainingLoop

__all__ = [
    "hookimpl",
    "RegisterFn",
    "RoleRegisterFn",
    "Ref",
    "ComponentRef",
    "as_ref",
    "Stage",
    "StagePlan",
    "ScheduleState",
    "PlanError",
    "Fact",
    "RunContext",
    "StageSummary",
    "Interrupted",
    "TrainingLoop",
    "build_frozen",
    "resize",
    "resolve_weights",
    "load_strict",
    "parse_hf",
    "HubFile",
    "WeightsLocation",
    "ZooError",
    "ArgumentError",
    "RoleError",
]

_LAZY = {
    "RunContext": "zoo.context",
    "StageSummary": "zoo.context",
    "Interrupted": "zoo.context",
    "build_frozen": "zoo.frozen",
    "TrainingLoop": "zoo.training",
    "WeightsLocation": "zoo.paths",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'zoo.sdk' has no attribute {name!r}")
