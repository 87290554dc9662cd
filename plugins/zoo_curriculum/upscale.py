"""P9: produce higher-resolution samples by upscaling lower-resolution ones."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Annotated, Literal

import torch
from pydantic import Field
from zoo.context import RunContext, StageSummary
from zoo.refs import Ref, as_ref
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo_curriculum.planning import samples_fact
from zoo_curriculum.samples import current_samples, load_samples, store_samples

__all__ = ["Upscale"]

Image = Literal["source", "template", "label"]
UpscalerRef = Ref("upscaler")


class Upscale:
    """Resolution enhancement (P9): upscale the current samples with a registered upscaler."""

    def __init__(
        self,
        resolution: Annotated[int, Field(ge=8, le=4096, description="target resolution")],
        images: list[Image] = ["source", "template", "label"],
        upscaler: Annotated[UpscalerRef, Field(description="registered upscaler, with its arguments")] = "bicubic",
    ):
        self.resolution, self.images, self.upscaler = resolution, list(images), as_ref(UpscalerRef, upscaler)

    def plan(self, state: ScheduleState) -> StagePlan:
        samples = samples_fact(state, "resolution")
        keys = {"label_resolution" if image == "label" else "resolution" for image in self.images}
        for key in keys:
            if self.resolution <= getattr(samples, key):
                raise PlanError("resolution", f"must be greater than the current {key.replace('_', ' ')} {getattr(samples, key)}px")
        state.put(replace(samples, **{key: self.resolution for key in keys}))
        return StagePlan(f"upscale {', '.join(self.images)} with {self.upscaler.name}", self.resolution, samples.quantity)

    def run(self, context: RunContext) -> None:
        from zoo_datasets.samples import SampleSet

        started = time.perf_counter()
        upscaler = self.upscaler.build()
        sets = []
        for sample_set in load_samples(context):
            changed = {}
            for image in self.images:
                pixels: torch.Tensor = getattr(sample_set, image)
                if pixels.shape[-1] < self.resolution:
                    scaled = upscaler.upscale(pixels.float() / 255, self.resolution)
                    changed[image] = (scaled.clamp(0, 1) * 255).round().to(torch.uint8)
            sets.append(SampleSet(**{**sample_set.__dict__, **changed}))
        store_samples(context, sets, held_out=current_samples(context).held_out)
        context.summaries.append(StageSummary(context.stage_index, "upscale", self.resolution,
                                              sum(len(s) for s in sets), seconds=time.perf_counter() - started))
