"""What the curriculum's stages tell later stages, one typed record per fact (see :mod:`zoo.facts`).

Plan time and run time use the same records: ``plan`` puts them on the schedule state so the next
stage's plan can check against them; ``run`` puts them on the run context, which checkpoints them.
"""

from __future__ import annotations

from dataclasses import dataclass

from zoo.facts import Fact

__all__ = ["PlannedGenerator", "Samples", "Trained", "Growth", "Metrics", "Grid", "Exported"]


@dataclass(frozen=True)
class PlannedGenerator(Fact, key="curriculum.generator"):
    """Plan time: the generator's output resolution at this point of the schedule, and the grows so far."""

    resolution: int
    grows: int = 0


@dataclass(frozen=True)
class Samples(Fact, key="curriculum.samples"):
    """The current training samples (their tensors are the run's artifacts under :attr:`key`)."""

    resolution: int
    label_resolution: int
    quantity: int
    groups: tuple[str, ...]
    held_out: float = 0.1


@dataclass(frozen=True)
class Trained(Fact, key="curriculum.trained"):
    """Plan time: a train stage came before, so a grow has trained layers to build on (P2 before P3)."""


@dataclass(frozen=True)
class Growth(Fact, key="curriculum.growth"):
    """The last grow: the parameters it inserted (``trainable: new``) and whether their fade-in is unfinished."""

    new_parameters: tuple[str, ...]
    fade_pending: bool


@dataclass(frozen=True)
class Metrics(Fact, key="curriculum.metrics"):
    """The latest evaluation's numbers; the export stage writes them into the model card."""

    values: dict[str, float]


@dataclass(frozen=True)
class Grid(Fact, key="curriculum.grid"):
    """The latest sample grid (PNG), shown in the exported model card."""

    path: str


@dataclass(frozen=True)
class Exported(Fact, key="curriculum.exported"):
    """Where the model folder was (at plan time: will be) written; ``push`` sends it."""

    directory: str
