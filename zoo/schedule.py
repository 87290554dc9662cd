"""What a curriculum stage promises the core: a plan that can be checked before any work, and a run.

The whole schedule is planned first — each stage sees the state the previous stages leave
(the typed facts their plans put, e.g. the curriculum's planned generator resolution and samples) — so an inconsistent recipe fails before a
single step is trained, with the stage's YAML location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from zoo.errors import ZooError
from zoo.facts import Fact, FactStore

if TYPE_CHECKING:
    from zoo.context import RunContext
    from zoo.recipe.model import Recipe

__all__ = ["PlanError", "ScheduleState", "StagePlan", "Stage"]

F = TypeVar("F", bound=Fact)


class PlanError(ZooError):
    """A stage setting is inconsistent with the schedule; ``field`` names the stage argument."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


@dataclass
class ScheduleState:
    """The schedule as planned so far; stages read it and update it in ``plan``.

    ``put``/``get`` carry typed facts (:mod:`zoo.facts`) from one stage's plan to the next —
    the same records the stages' runs put on the :class:`~zoo.context.RunContext`.
    """

    recipe: Recipe
    facts: FactStore = field(default_factory=FactStore)

    def put(self, fact: Fact) -> None:
        self.facts.put(fact)

    def get(self, kind: type[F]) -> F | None:
        return self.facts.get(kind)


@dataclass(frozen=True)
class StagePlan:
    """One line of ``zoo run --dry-run``: what the stage does, at what size, on what."""

    action: str
    resolution: int | None = None
    quantity: int | None = None
    trainable: str | None = None


@runtime_checkable
class Stage(Protocol):
    def plan(self, state: ScheduleState) -> StagePlan:
        """Check this stage against the schedule so far, update ``state``, describe the stage."""
        ...

    def run(self, context: RunContext) -> None:
        """Do the stage's one thing; resumable from ``context.resume_step`` when it trains."""
        ...
