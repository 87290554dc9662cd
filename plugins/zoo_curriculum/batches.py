"""Deterministic batch order: sample positions map to per-epoch permutations seeded by the recipe.

The order depends only on (seed, stage, group, epoch), never on RNG state, so a resumed or a
distributed run draws exactly the samples an uninterrupted single-process run draws.
"""

from __future__ import annotations

import torch
from zoo.context import RunContext
from zoo.distributed import DistInfo

__all__ = ["BatchOrder"]


class BatchOrder:
    def __init__(self, context: RunContext, group: str, size: int, batch_size: int):
        self.context, self.group, self.size, self.batch_size = context, group, size, batch_size
        self._permutations: dict[int, torch.Tensor] = {}

    def _permutation(self, epoch: int) -> torch.Tensor:
        if epoch not in self._permutations:
            generator = torch.Generator().manual_seed(self.context.seed_for(self.context.stage_index, self.group, epoch))
            self._permutations = {epoch: torch.randperm(self.size, generator=generator)}
        return self._permutations[epoch]

    def indices(self, step: int, dist: DistInfo) -> list[int]:
        """This process's share of the global batch at ``step`` (every world_size-th position)."""
        chosen = []
        for offset in range(dist.rank, self.batch_size, dist.world_size):
            position = step * self.batch_size + offset
            chosen.append(int(self._permutation(position // self.size)[position % self.size]))
        return chosen
