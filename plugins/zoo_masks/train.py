"""``train_segmenter``: train the recipe's segmenter on occluded faces made on the fly, resumable exactly.

The zoo trains more than swappers: this stage uses the same run context, checkpoints (optimiser
state + position, written atomically), Ctrl-C handling, metrics log and progress lines as the
``train`` stage. Its batches come from ``occluded_faces`` by (seed, step) alone, so a resumed run
draws exactly the batches an uninterrupted one would have, and ends with the same weights.
"""

from __future__ import annotations

import time
from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn
from zoo.checkpoint import flatten_optimizer_state, unflatten_optimizer_state
from zoo.context import Interrupted, RunContext, StageSummary
from zoo.distributed import mean_across
from zoo.errors import ZooError
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo.progress import Progress

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
    state.resolution = resolution
    return resolution


def mask_loss(logits: Tensor, target: Tensor, dice: float) -> dict[str, Tensor]:
    """Binary cross-entropy on soft targets plus soft Dice (which cares about the thin occluders)."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
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
        log_every: Annotated[int, Field(gt=0)] = 20,
    ):
        self.steps, self.batch_size, self.lr, self.final_lr = steps, batch_size, lr, final_lr
        self.weight_decay, self.dice, self.log_every = weight_decay, dice, log_every

    def plan(self, state: ScheduleState) -> StagePlan:
        resolution = require_segmenter(state)
        state.facts["segmenter_trained"] = True
        return StagePlan(f"train segmenter {self.steps} steps, batch {self.batch_size}, adamw lr {self.lr:g}",
                         resolution, self.steps * self.batch_size)

    def _lr(self, step: int) -> float:
        import math

        return self.final_lr + 0.5 * (self.lr - self.final_lr) * (1 + math.cos(math.pi * step / self.steps))

    def run(self, context: RunContext) -> None:
        segmenter = context.parts[SEGMENTER_PART]
        world, rank = context.dist.world_size, context.dist.rank
        if self.batch_size % world:
            raise ZooError(f"stage {context.stage_index}: batch_size {self.batch_size} is not divisible by {world} processes")
        optimizer = torch.optim.AdamW(segmenter.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        start = self._restore(context, optimizer)
        model: nn.Module = segmenter
        if context.dist.enabled:
            model = nn.parallel.DistributedDataParallel(segmenter)
        seed = context.seed_for("train_segmenter", context.stage_index)
        segmenter.train()
        progress = Progress(f"stage {context.stage_index} train_segmenter", self.steps, unit="step", initial=start,
                            enabled=context.dist.is_main, line_every=None)
        window: dict[str, list[float]] = {}
        started = time.perf_counter()
        try:
            for step in range(start, self.steps):
                first = step * self.batch_size + rank * (self.batch_size // world)
                batch = context.data.batch("train", range(first, first + self.batch_size // world), seed)
                for group in optimizer.param_groups:
                    group["lr"] = self._lr(step)
                terms = mask_loss(model(batch["image"].to(context.device)), batch["target"].to(context.device), self.dice)
                optimizer.zero_grad(set_to_none=True)
                terms["loss"].backward()
                optimizer.step()
                for key, value in terms.items():
                    window.setdefault(key, []).append(float(value.detach()))
                done = step + 1
                if done % self.log_every == 0 or done == self.steps:
                    rate = (done - start) * self.batch_size / max(time.perf_counter() - started, 1e-9)
                    means = mean_across(context.dist, {k: sum(v) / len(v) for k, v in window.items()})
                    context.metrics.log(stage=context.stage_index, step=done, images_per_s=round(rate, 2), **means)
                    progress.report(loss=f"{means['loss']:.4f}", img_s=f"{rate:.1f}")
                    window = {} if done < self.steps else window
                progress.update()
                if context.interrupted:
                    self._checkpoint(context, done, optimizer)
                    raise Interrupted(f"interrupted at stage {context.stage_index} step {done}; "
                                      "checkpoint written, continue with --resume")
                if done % context.recipe.output.checkpoint_every == 0 and done < self.steps:
                    self._checkpoint(context, done, optimizer)
        finally:
            progress.close()
        segmenter.eval()
        final = {k: sum(v) / len(v) for k, v in window.items()}
        context.summaries.append(StageSummary(context.stage_index, "train_segmenter", segmenter.resolution,
                                              self.steps * self.batch_size, self.steps - start,
                                              time.perf_counter() - started, final))

    @staticmethod
    def _checkpoint(context: RunContext, step: int, optimizer: torch.optim.Optimizer) -> None:
        tensors, meta = flatten_optimizer_state(optimizer.state_dict(), "opt")
        context.save_checkpoint(step=step, done=False, stage_tensors=tensors, stage_meta={"opt": meta})

    @staticmethod
    def _restore(context: RunContext, optimizer: torch.optim.Optimizer) -> int:
        resume = context.resume_state()
        if resume is None:
            return 0
        optimizer.load_state_dict(unflatten_optimizer_state(resume.stage_tensors, resume.stage_meta["opt"]))
        return resume.step
