"""P3/P7: insert a resolution-update layer after the generator's convolutions."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from pydantic import Field
from zoo.context import RunContext, StageSummary
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo_curriculum.facts import Growth, Trained
from zoo_curriculum.planning import generator_plan

__all__ = ["Grow"]


class Grow:
    """Insert a resolution-update layer into the generator (P3/P7), old weights kept exactly."""

    def __init__(
        self,
        size: Annotated[int | None, Field(ge=16, description="output resolution after growing (default: double)")] = None,
        fade_in: Annotated[bool, Field(description="start the new layer as the upsampled previous output (ProGAN)")] = True,
    ):
        self.size = size
        self.fade_in = fade_in

    def plan(self, state: ScheduleState) -> StagePlan:
        planned = generator_plan(state)
        before = planned.resolution
        after = self.size or before * 2
        if after <= before:
            raise PlanError("size", f"must be greater than the current output resolution {before}")
        if state.get(Trained) is None:
            raise PlanError(None, f"grow before any train stage: nothing was trained at {before}px yet "
                                  f"(train first, METHODS.md P2 before P3, or start the generator at {after}px)")
        state.put(replace(planned, resolution=after, grows=planned.grows + 1))
        return StagePlan(f"grow {before}px -> {after}px{' with fade-in' if self.fade_in else ''}", after,
                         trainable="(adds new layer)")

    def run(self, context: RunContext) -> None:
        generator = context.parts["generator"]
        names = generator.grow(self.size, fade_in=self.fade_in)
        context.update_part_args("generator")
        context.put(Growth(new_parameters=tuple(names), fade_pending=self.fade_in))
        context.summaries.append(StageSummary(context.stage_index, "grow", generator.output_resolution))
