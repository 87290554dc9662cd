"""A third-party training stage built on the SDK's training service: it only writes its step.

Self-reconstruction warm-up (the SimSwap-style baseline): the generator sees one face as both
source and template and learns to give it back. Resume, Ctrl-C, checkpoints, metrics and progress
come from :class:`zoo.sdk.TrainingLoop`; batches are drawn from ``(seed, step)`` alone, so a run
killed and resumed ends with exactly the weights of one that never stopped.
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field

from zoo.sdk import RunContext, ScheduleState, StagePlan, StageSummary, TrainingLoop
from zoo_example.facts import WarmedUp


class ReconstructionWarmup:
    """Teach the generator to return a face given as source and template (self-reconstruction)."""

    def __init__(
        self,
        steps: Annotated[int, Field(gt=0, le=1_000_000, description="optimiser steps")],
        batch_size: Annotated[int, Field(gt=0, le=4096)] = 8,
        lr: Annotated[float, Field(gt=0, le=1)] = 1e-3,
    ):
        self.steps, self.batch_size, self.lr = steps, batch_size, lr

    def plan(self, state: ScheduleState) -> StagePlan:
        state.put(WarmedUp(self.steps))
        return StagePlan(f"reconstruction warm-up {self.steps} steps, batch {self.batch_size}",
                         quantity=self.steps * self.batch_size, trainable="all")

    def run(self, context: RunContext) -> None:
        generator = context.parts["generator"]
        names = set(generator.trainable_parameter_names())
        optimizer = torch.optim.Adam([p for n, p in generator.named_parameters() if n in names], lr=self.lr)
        generator.train()
        with TrainingLoop(context, self.steps, label="example_warmup", optimizers={"opt": optimizer}) as loop:
            for step in loop.steps():
                draw = torch.Generator().manual_seed(context.seed_for("example_warmup", context.stage_index, step))
                picks = torch.randint(len(context.data), (self.batch_size,), generator=draw).tolist()
                faces = context.data.images(picks, generator.input_resolution).to(context.device)
                wanted = context.data.images(picks, generator.output_resolution).to(context.device)
                loss = (generator(faces, faces) - wanted).abs().mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loop.record(step, {"loss": float(loss.detach())}, images=self.batch_size)
        final = loop.final_terms()
        context.put(WarmedUp(self.steps, final["loss"]))
        context.summaries.append(StageSummary(context.stage_index, "example_warmup", generator.output_resolution,
                                              self.steps * self.batch_size, self.steps - loop.start, loop.seconds, final))
