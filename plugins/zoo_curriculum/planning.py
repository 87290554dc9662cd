"""Shared plan-time checks: the generator's resolution and what samples exist at each stage."""

from __future__ import annotations

import math
from typing import Any

from zoo.schedule import PlanError, ScheduleState
from zoo_curriculum.facts import PlannedGenerator, Samples
from zoo_datasets.facts import DataSurvey

__all__ = ["generator_plan", "generator_resolution", "samples_fact", "require_generator", "check_identities"]


def require_generator(state: ScheduleState) -> dict[str, Any]:
    generator = state.recipe.model.get("generator")
    if generator is None:
        raise PlanError(None, "this stage needs a 'generator' in the recipe's model section")
    return generator.args


def generator_plan(state: ScheduleState) -> PlannedGenerator:
    """The generator at this point of the schedule: from the recipe until a stage (grow) changes it."""
    planned = state.get(PlannedGenerator)
    if planned is None:
        args = require_generator(state)
        growth = args.get("growth") or []
        planned = PlannedGenerator(resolution=growth[-1] if growth else args.get("resolution", 64))
        state.put(planned)
    return planned


def generator_resolution(state: ScheduleState) -> int:
    """The generator's output resolution at this point of the schedule."""
    return generator_plan(state).resolution


def samples_fact(state: ScheduleState, field: str | None = None) -> Samples:
    samples = state.get(Samples)
    if samples is None:
        raise PlanError(field, "no samples yet: add a build_triplets or build_groups stage before this one")
    return samples


def check_identities(state: ScheduleState, held_out: float, groups: list[str]) -> None:
    """The data (as its ``survey`` reports it) holds enough people for these sample groups.

    Swapping needs two training identities (one gives the identity, another receives it) once
    ``held_out`` of them are set aside; a fake-template group (F1) needs a person with two photos.
    """
    data = state.get(DataSurvey)
    if data is None:
        return
    people = data.identities
    held = max(1, math.floor(people * held_out)) if held_out > 0 else 0
    if people - held < 2:
        kept = f", and held_out {held_out:g} keeps {held} of them for evaluation" if held else ""
        raise PlanError("held_out" if held else None,
                        f"the data holds {people} identities{kept}: swapping needs at least 2 identities to train on")
    if "fake_template" in groups and data.most_per_identity < 2:
        raise PlanError("groups", "fake_template groups (F1) need a person with at least two photos; "
                                  "the data has one photo per identity (use groups: [fake_label])")
