"""A third-party stage: records a note in the run's metrics log."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from zoo.sdk import RunContext, ScheduleState, StagePlan


class Note:
    """Write a note into the run's metrics log."""

    def __init__(self, message: Annotated[str, Field(min_length=1)]):
        self.message = message

    def plan(self, state: ScheduleState) -> StagePlan:
        return StagePlan(f"note: {self.message}")

    def run(self, context: RunContext) -> None:
        context.metrics.log(stage=context.stage_index, event="note", message=self.message)
