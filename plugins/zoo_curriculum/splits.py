"""Identity-disjoint train / held-out split, derived from the recipe seed (never stored)."""

from __future__ import annotations

from zoo.context import RunContext
from zoo.errors import ZooError
from zoo_curriculum.facts import Samples

__all__ = ["training_indices", "held_out_indices"]


def _split(context: RunContext, held_out: float) -> tuple[list[int], list[int]]:
    from zoo_datasets.base import split_identities

    if held_out <= 0:
        return list(range(len(context.data))), []
    train, evaluation = split_identities(context.data, held_out, seed=context.recipe.seed)
    return list(train.indices), list(evaluation.indices)


def training_indices(context: RunContext, held_out: float) -> list[int]:
    indices, _ = _split(context, held_out)
    if not indices:
        raise ZooError(f"dataset {context.recipe.data.name} has no identities left for training after holding out {held_out:.0%}")
    return indices


def held_out_indices(context: RunContext) -> list[int]:
    samples = context.get(Samples)
    _, indices = _split(context, samples.held_out if samples else Samples.held_out)
    return indices
