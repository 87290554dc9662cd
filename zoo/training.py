"""The training loop's reusable parts, as a service any stage that takes optimiser steps uses.

Resuming mid-stage, progress (a tqdm bar on a terminal, plain lines in a pipe), the metrics log's
cadence, Ctrl-C (checkpoint, then stop with the ``--resume`` hint) and the checkpoint cadence are
the same for every such stage — the swap generator's ``train``, the masks plugin's
``train_segmenter``, a third-party stage — so they live here once, and a stage only writes its step::

    with TrainingLoop(context, steps, label="train", optimizers={"opt": optimizer}) as loop:
        for step in loop.steps():
            terms = one_step(batch_for(step))          # {"loss": float, ...}
            loop.record(step, terms, images=batch_size)

What a checkpoint holds for the stage: each optimizer's state (under its name) and the given
``tensors`` (e.g. EMA weights), restored in place before the first step, so a resumed stage ends
with exactly the weights of one that was never interrupted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from zoo.checkpoint import flatten_optimizer_state, unflatten_optimizer_state
from zoo.context import Interrupted, RunContext
from zoo.distributed import mean_across
from zoo.progress import Progress
from zoo.remedy import RESUME

if TYPE_CHECKING:
    import torch

__all__ = ["TrainingLoop"]


class TrainingLoop:
    """Steps ``start..steps`` of one stage, with resume, logging, Ctrl-C and checkpoints handled."""

    def __init__(
        self,
        context: RunContext,
        steps: int,
        *,
        label: str,
        log_every: int = 10,
        optimizers: dict[str, torch.optim.Optimizer | None] | None = None,
        tensors: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.context = context
        self.total = steps
        self.label = f"stage {context.stage_index + 1} {label}"
        self.log_every = log_every
        self.optimizers = {name: opt for name, opt in (optimizers or {}).items() if opt is not None}
        self.tensors = dict(tensors or {})
        self.start = self._restore()
        self.window: dict[str, list[float]] = {}
        self._seen = 0
        self._started = time.perf_counter()
        self._progress = Progress(self.label, steps, unit="step", initial=self.start,
                                  enabled=context.dist.is_main, line_every=None)

    # -- the loop ---------------------------------------------------------------------------------

    def steps(self) -> Iterator[int]:
        """Step indices still to do; after each step, a Ctrl-C or the cadence writes a checkpoint."""
        cadence = self.context.recipe.output.checkpoint_every
        for step in range(self.start, self.total):
            yield step
            done = step + 1
            if self.context.interrupted:
                self.checkpoint(done)
                raise Interrupted(f"interrupted at {self.label} step {done}; checkpoint written, continue with {RESUME}")
            if done % cadence == 0 and done < self.total:
                self.checkpoint(done)

    def record(self, step: int, terms: dict[str, float], images: int) -> None:
        """One finished step's numbers: logged (averaged over the window and the ranks) at the cadence."""
        for key, value in terms.items():
            self.window.setdefault(key, []).append(value)
        self._seen += images
        done = step + 1
        self._progress.update()
        if done % self.log_every == 0 or done == self.total:
            rate = self._seen / max(time.perf_counter() - self._started, 1e-9)
            means = mean_across(self.context.dist, {k: sum(v) / len(v) for k, v in self.window.items()})
            self.context.metrics.log(stage=self.context.stage_index, step=done, images_per_s=round(rate, 2), **means)
            fields = {"loss": f"{means['loss']:.4f}"} if "loss" in means else {}
            self._progress.report(**fields, img_s=f"{rate:.1f}")
            if done < self.total:
                self.window = {}

    def final_terms(self) -> dict[str, float]:
        """Means of the last logged window, over all ranks (the stage summary's "final losses")."""
        return mean_across(self.context.dist, {k: sum(v) / len(v) for k, v in self.window.items()})

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._started

    # -- checkpoints ------------------------------------------------------------------------------

    def checkpoint(self, step: int) -> None:
        """Write the run's checkpoint at ``step`` of this stage (atomically, via the run context)."""
        tensors, meta = {}, {}
        for name, optimizer in self.optimizers.items():
            flat, meta[name] = flatten_optimizer_state(optimizer.state_dict(), name)
            tensors.update(flat)
        tensors.update(self.tensors)
        self.context.save_checkpoint(step=step, done=False, stage_tensors=tensors, stage_meta=meta)

    def _restore(self) -> int:
        resume = self.context.resume_state()
        if resume is None:
            return 0
        for name, optimizer in self.optimizers.items():
            if name in resume.stage_meta:
                optimizer.load_state_dict(unflatten_optimizer_state(resume.stage_tensors, resume.stage_meta[name]))
        for key, tensor in self.tensors.items():
            tensor.copy_(resume.stage_tensors[key])
        return resume.step

    # -- context manager: the progress bar closes before any error is printed ---------------------

    def __enter__(self) -> TrainingLoop:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._progress.close()
