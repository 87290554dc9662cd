"""The run context a stage receives: model parts, data, losses, artifacts, checkpointing, logging.

Stages share state only through this object, so the schedule stays the list of stages — no
hidden loop — and everything a later stage needs can be checkpointed here: tensors as
``artifacts``, everything else as typed facts (``context.put(fact)``, ``context.get(Type)``).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch

from zoo.checkpoint import Checkpoint, Checkpointer, capture_rng
from zoo.distributed import DistInfo, barrier
from zoo.errors import EXIT_INTERRUPTED, ZooError
from zoo.facts import Fact, FactStore
from zoo.metrics import MetricsLog
from zoo.recipe.model import Recipe

__all__ = ["WeightedLoss", "StageSummary", "StageSummaries", "RunContext", "Interrupted"]

F = TypeVar("F", bound=Fact)


class Interrupted(ZooError):
    """Ctrl-C: a checkpoint was written; the run can continue with ``--resume``."""

    exit_code = EXIT_INTERRUPTED


@dataclass
class WeightedLoss:
    name: str
    weight: float
    module: Any


@dataclass
class StageSummary:
    """One row of the final table."""

    index: int
    stage: str
    resolution: int | None = None
    samples: int | None = None
    steps: int = 0
    seconds: float = 0.0
    losses: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StageSummaries(Fact, key="core.summaries"):
    """The final table's rows so far, checkpointed so a resumed run still shows every stage."""

    rows: tuple[StageSummary, ...]

    def to_json(self) -> dict[str, Any]:
        return {"rows": [asdict(row) for row in self.rows]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StageSummaries:
        return cls(tuple(StageSummary(**row) for row in data["rows"]))


@dataclass
class RunContext:
    recipe: Recipe
    run_dir: Path
    device: torch.device
    dist: DistInfo
    parts: dict[str, torch.nn.Module]
    part_args: dict[str, dict[str, Any]]
    data: Any
    losses: list[WeightedLoss]
    metrics: MetricsLog
    checkpointer: Checkpointer
    artifacts: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    facts: FactStore = field(default_factory=FactStore)
    stage_index: int = 0
    resume: Checkpoint | None = None
    summaries: list[StageSummary] = field(default_factory=list)
    interrupted: bool = False
    checkpoints_written: int = 0

    def put(self, fact: Fact) -> None:
        """Tell later stages ``fact`` (replacing the earlier fact of its type); checkpoints carry it."""
        self.facts.put(fact)

    def get(self, kind: type[F]) -> F | None:
        """The fact of type ``kind`` an earlier stage (or this one, before a resume) put, or None."""
        return self.facts.get(kind)

    def seed_for(self, *keys: object) -> int:
        """A seed derived from the recipe seed and ``keys``: same value in every process and on resume."""
        text = ":".join(map(str, (self.recipe.seed, *keys)))
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF

    def update_part_args(self, name: str) -> None:
        """Record a part's current constructor arguments (after ``grow``) so resume rebuilds it."""
        build_args = getattr(self.parts[name], "build_args", None)
        if callable(build_args):
            self.part_args[name] = build_args()

    @property
    def stage_number(self) -> int:
        """The current stage counted from 1, as every message, file name and table shows it."""
        return self.stage_index + 1

    def save_checkpoint(
        self,
        *,
        step: int,
        done: bool,
        stage_tensors: dict[str, torch.Tensor] | None = None,
        stage_meta: dict[str, Any] | None = None,
    ) -> None:
        """Rank 0 writes; every rank waits, so no process runs ahead of a checkpoint."""
        self.put(StageSummaries(tuple(self.summaries)))
        if self.dist.is_main:
            rng_tensors, rng_meta = capture_rng()
            checkpoint = Checkpoint(
                stage_index=self.stage_index,
                stage_done=done,
                step=step,
                recipe_yaml=self.recipe.resolved_yaml(),
                part_args=self.part_args,
                part_tensors={name: part.state_dict() for name, part in self.parts.items()},
                artifacts=self.artifacts,
                facts=self.facts.to_json(),
                stage_tensors=stage_tensors or {},
                stage_meta=stage_meta or {},
                rng_tensors=rng_tensors,
                rng_meta=rng_meta,
                metrics_lines=self.metrics.lines,
            )
            self.checkpoints_written += 1
            self.checkpointer.save(checkpoint, sequence=self._next_sequence())
        barrier(self.dist)

    def _next_sequence(self) -> int:
        existing = [int(p.name.split("-")[1]) for p in self.checkpointer.root.glob("ckpt-*") if p.is_dir()]
        return max(existing, default=0) + 1

    def resume_state(self) -> Checkpoint | None:
        """The mid-stage checkpoint for the current stage, if this run resumes inside it."""
        if self.resume and self.resume.stage_index == self.stage_index and not self.resume.stage_done:
            return self.resume
        return None
