"""P3/P7: insert a resolution-update layer after the generator's convolutions."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from zoo.context import RunContext, StageSummary
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo_curriculum.planning import TRAINED, generator_resolution

__all__ = ["Grow", "NEW_PARAMETERS", "FADE"]

NEW_PARAMETERS = "new_parameters"
FADE = "fade_pending"


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
        before = generator_resolution(state)
        after = self.size or before * 2
        if after <= before:
            raise PlanError("size", f"must be greater than the current output resolution {before}")
        if not state.facts.get(TRAINED):
            raise PlanError(None, f"grow before any train stage: nothing was trained at {before}px yet "
                                  f"(train first, METHODS.md P2 before P3, or start the generator at {after}px)")
        state.resolution = after
        state.grows += 1
        return StagePlan(f"grow {before}px -> {after}px{' with fade-in' if self.fade_in else ''}", after,
                         trainable="(adds new layer)")

    def run(self, context: RunContext) -> None:
        generator = context.parts["generator"]
        names = generator.grow(self.size, fade_in=self.fade_in)
        context.update_part_args("generator")
        context.artifact_meta[NEW_PARAMETERS] = names
        context.artifact_meta[FADE] = self.fade_in
        context.summaries.append(StageSummary(context.stage_index, "grow", generator.output_resolution))
