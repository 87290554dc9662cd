"""Shared plan-time checks: the generator's resolution and what samples exist at each stage."""

from __future__ import annotations

from typing import Any

from zoo.schedule import PlanError, ScheduleState

__all__ = ["generator_resolution", "samples_fact", "require_generator"]


def require_generator(state: ScheduleState) -> dict[str, Any]:
    generator = state.recipe.model.get("generator")
    if generator is None:
        raise PlanError(None, "this stage needs a 'generator' in the recipe's model section")
    return generator.args


def generator_resolution(state: ScheduleState) -> int:
    """The generator's output resolution at this point of the schedule."""
    if state.resolution is None:
        args = require_generator(state)
        growth = args.get("growth") or []
        state.resolution = growth[-1] if growth else args.get("resolution", 64)
    return state.resolution


def samples_fact(state: ScheduleState, field: str | None = None) -> dict[str, Any]:
    samples = state.facts.get("samples")
    if samples is None:
        raise PlanError(field, "no samples yet: add a build_triplets or build_groups stage before this one")
    return samples
