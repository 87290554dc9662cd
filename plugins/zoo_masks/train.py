"""``train_segmenter``: train the recipe's segmenter on occluded faces made on the fly, resumable exactly.

The zoo trains more than swappers: this stage uses the same training service as the ``train``
stage (:class:`zoo.training.TrainingLoop`: checkpoints with optimiser state and position, Ctrl-C,
metrics log, progress). Its batches come from ``occluded_faces`` by (seed, step) alone, so a resumed run
draws exactly the batches an uninterrupted one would have, and ends with the same weights.
"""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn
from zoo.context import RunContext, StageSummary
from zoo.errors import ZooError
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo.training import TrainingLoop
from zoo_curriculum.facts import PlannedGenerator

__all__ = ["TrainSegmenter", "mask_loss", "require_segmenter"]

SEGMENTER_PART = "generator"
"""A model folder's main part (``model.safetensors``) is called ``generator``; in a segmenter recipe it is the segmenter."""


def require_segmenter(state: ScheduleState, field: str | None = None) -> int:
    """The segmenter's resolution, after checking the recipe's model and data fit together."""
    part = state.recipe.model.get(SEGMENTER_PART)
    if part is None:
        raise PlanError(field, f"this stage needs the segmenter as model.{SEGMENTER_PART} (e.g. backbone: occlusion_unet)")
    from zoo.registry import default_registry

    if default_registry().get("backbone", part.name).role != "segmenter":
        raise PlanError(field, f"model.{SEGMENTER_PART} is backbone '{part.name}', not a segmenter (`zoo list backbone`)")
    if default_registry().get("dataset", state.recipe.data.name).role != "segmentation_data":
        raise PlanError(field, f"needs segmentation data (e.g. dataset: occluded_faces), got dataset '{state.recipe.data.name}'")
    resolution = int(part.args.get("resolution", 64))
    data_resolution = int(state.recipe.data.args.get("resolution", 64))
    if resolution != data_resolution:
        raise PlanError(field, f"the segmenter takes {resolution}px faces but data.resolution is {data_resolution}px")
    state.put(PlannedGenerator(resolution))  # the export stage plans the model folder at this resolution
    return resolution


def mask_loss(logits: Tensor, target: Tensor, dice: float, region: Tensor | None = None,
              covered_weight: float = 1.0) -> dict[str, Tensor]:
    """Binary cross-entropy on soft targets plus soft Dice (which cares about the thin occluders).

    ``covered_weight`` scales the cross-entropy of the face pixels something covers (``region`` −
    ``target``): a missed hand is painted over by the swap, the failure people see, while a cheek
    pixel wrongly called covered only keeps the target's own skin there. Hands are a few percent
    of a crop, so unweighted they barely move the loss.
    """
    weight = None if region is None or covered_weight == 1.0 else 1.0 + (covered_weight - 1.0) * (region - target).clamp(0, 1)
    bce = F.binary_cross_entropy_with_logits(logits, target, weight=weight)
    probability = torch.sigmoid(logits)
    overlap = (probability * target).sum((1, 2, 3))
    dice_loss = 1 - ((2 * overlap + 1) / (probability.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)).mean()
    return {"bce": bce, "dice": dice_loss, "loss": bce + dice * dice_loss}


class TrainSegmenter:
    """Train the occlusion segmenter (model.generator) on occluded faces made on the fly; exact resume."""

    def __init__(
        self,
        steps: Annotated[int, Field(gt=0, description="optimiser steps")],
        batch_size: Annotated[int, Field(gt=0, description="global batch, split across processes")] = 16,
        lr: Annotated[float, Field(gt=0)] = 2e-3,
        final_lr: Annotated[float, Field(ge=0, description="cosine decay ends here")] = 1e-4,
        weight_decay: Annotated[float, Field(ge=0)] = 1e-4,
        dice: Annotated[float, Field(ge=0, description="weight of the soft-Dice term")] = 0.5,
        covered_weight: Annotated[float, Field(ge=1, description="cross-entropy weight of covered face pixels "
                                                                  "(a missed hand costs more than a cut cheek)")] = 1.0,
        log_every: Annotated[int, Field(gt=0)] = 20,
    ):
        self.steps, self.batch_size, self.lr, self.final_lr = steps, batch_size, lr, final_lr
        self.weight_decay, self.dice, self.log_every = weight_decay, dice, log_every
        self.covered_weight = covered_weight

    def plan(self, state: ScheduleState) -> StagePlan:
        resolution = require_segmenter(state)
        return StagePlan(f"train segmenter {self.steps} steps, batch {self.batch_size}, adamw lr {self.lr:g}",
                         resolution, self.steps * self.batch_size)

    def _lr(self, step: int) -> float:
        import math

        return self.final_lr + 0.5 * (self.lr - self.final_lr) * (1 + math.cos(math.pi * step / self.steps))

    def run(self, context: RunContext) -> None:
        segmenter = context.parts[SEGMENTER_PART]
        world, rank = context.dist.world_size, context.dist.rank
        if self.batch_size % world:
            raise ZooError(f"stage {context.stage_number}: batch_size {self.batch_size} is not divisible by {world} processes")
        optimizer = torch.optim.AdamW(segmenter.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        loop = TrainingLoop(context, self.steps, label="train_segmenter", log_every=self.log_every,
                            optimizers={"opt": optimizer})
        model: nn.Module = segmenter
        if context.dist.enabled:
            model = nn.parallel.DistributedDataParallel(segmenter)
        seed = context.seed_for("train_segmenter", context.stage_index)
        segmenter.train()
        with loop:
            for step in loop.steps():
                first = step * self.batch_size + rank * (self.batch_size // world)
                batch = context.data.batch("train", range(first, first + self.batch_size // world), seed)
                for group in optimizer.param_groups:
                    group["lr"] = self._lr(step)
                terms = mask_loss(model(batch["image"].to(context.device)), batch["target"].to(context.device), self.dice,
                                  batch["region"].to(context.device), self.covered_weight)
                optimizer.zero_grad(set_to_none=True)
                terms["loss"].backward()
                optimizer.step()
                loop.record(step, {key: float(value.detach()) for key, value in terms.items()}, images=self.batch_size)
        segmenter.eval()
        context.summaries.append(StageSummary(context.stage_index, "train_segmenter", segmenter.resolution,
                                              self.steps * self.batch_size, self.steps - loop.start, loop.seconds,
                                              loop.final_terms()))

