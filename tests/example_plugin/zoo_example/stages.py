"""A third-party stage: records a note in the run's metrics log."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from zoo.schedule import StagePlan


class Note:
    """Write a note into the run's metrics log."""

    def __init__(self, message: Annotated[str, Field(min_length=1)]):
        self.message = message

    def plan(self, state: Any) -> StagePlan:
        return StagePlan(f"note: {self.message}")

    def run(self, context: Any) -> None:
        context.metrics.log(stage=context.stage_index, event="note", message=self.message)
