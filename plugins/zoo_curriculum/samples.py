"""The current training samples live in the run context's artifacts, so checkpoints carry them.

Stages that build or change samples store them here; ``train`` and ``evaluate`` read them back.
"""

from __future__ import annotations

from typing import Any

import torch
from zoo.context import RunContext
from zoo.errors import ZooError
from zoo_datasets.samples import SampleSet

__all__ = ["store_samples", "load_samples", "SAMPLES"]

SAMPLES = "samples"
_FIELDS = ("source", "template", "label", "source_identity")


def store_samples(context: RunContext, sets: list[SampleSet], **meta: Any) -> None:
    tensors = {f"{s.group}.{name}": getattr(s, name) for s in sets for name in _FIELDS}
    context.artifacts[SAMPLES] = tensors
    context.artifact_meta[SAMPLES] = {
        "groups": [s.group for s in sets],
        "resolution": int(sets[0].source.shape[-1]),
        "label_resolution": int(sets[0].label.shape[-1]),
        "quantity": sum(len(s) for s in sets),
        **meta,
    }


def load_samples(context: RunContext, groups: list[str] | None = None) -> list[SampleSet]:
    if SAMPLES not in context.artifacts:
        raise ZooError(f"stage {context.stage_number}: no samples yet; add a build_triplets or build_groups stage before it")
    tensors: dict[str, torch.Tensor] = context.artifacts[SAMPLES]
    names = context.artifact_meta[SAMPLES]["groups"]
    chosen = [g for g in names if groups is None or g in groups]
    return [SampleSet(group=g, **{name: tensors[f"{g}.{name}"] for name in _FIELDS}) for g in chosen]
