"""What the example plugin's stages tell later stages: a typed fact, checkpointed with the run."""

from __future__ import annotations

from dataclasses import dataclass

from zoo.sdk import Fact


@dataclass(frozen=True)
class WarmedUp(Fact, key="example.warmed_up"):
    """A warm-up ran before: how long, and (once it has run) the loss it reached."""

    steps: int
    final_loss: float | None = None
