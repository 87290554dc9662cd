"""A third-party stage: records a note in the run's metrics log, with what an earlier warm-up reached."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from zoo.sdk import RunContext, ScheduleState, StagePlan
from zoo_example.facts import WarmedUp


class Note:
    """Write a note into the run's metrics log."""

    def __init__(self, message: Annotated[str, Field(min_length=1)]):
        self.message = message

    def plan(self, state: ScheduleState) -> StagePlan:
        warmed = state.get(WarmedUp)
        return StagePlan(f"note: {self.message}" + (f" (after a {warmed.steps}-step warm-up)" if warmed else ""))

    def run(self, context: RunContext) -> None:
        warmed = context.get(WarmedUp)
        extra = {"warmup_loss": warmed.final_loss} if warmed else {}
        context.metrics.log(stage=context.stage_index, event="note", message=self.message, **extra)
