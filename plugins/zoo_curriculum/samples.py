"""The current training samples live in the run context, so checkpoints carry them.

Stages that build or change samples store them here: the tensors as the run's artifacts under the
:class:`~zoo_curriculum.facts.Samples` fact's key, the description as that fact. ``train`` and
``evaluate`` read them back.
"""

from __future__ import annotations

import torch
from zoo.context import RunContext
from zoo.errors import ZooError
from zoo_curriculum.facts import Samples
from zoo_datasets.samples import SampleSet

__all__ = ["store_samples", "load_samples", "current_samples"]

_FIELDS = ("source", "template", "label", "source_identity")


def store_samples(context: RunContext, sets: list[SampleSet], *, held_out: float) -> None:
    context.artifacts[Samples.key] = {f"{s.group}.{name}": getattr(s, name) for s in sets for name in _FIELDS}
    context.put(Samples(
        resolution=int(sets[0].source.shape[-1]),
        label_resolution=int(sets[0].label.shape[-1]),
        quantity=sum(len(s) for s in sets),
        groups=tuple(s.group for s in sets),
        held_out=held_out,
    ))


def current_samples(context: RunContext) -> Samples:
    samples = context.get(Samples)
    if samples is None or Samples.key not in context.artifacts:
        raise ZooError(f"stage {context.stage_number}: no samples yet; add a build_triplets or build_groups stage before it")
    return samples


def load_samples(context: RunContext, groups: list[str] | None = None) -> list[SampleSet]:
    names = current_samples(context).groups
    tensors: dict[str, torch.Tensor] = context.artifacts[Samples.key]
    chosen = [g for g in names if groups is None or g in groups]
    return [SampleSet(group=g, **{name: tensors[f"{g}.{name}"] for name in _FIELDS}) for g in chosen]
