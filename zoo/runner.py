"""``zoo run``: execute a validated recipe's stages in order, checkpointing at every boundary.

The runner builds what the recipe names (data, model parts, losses), restores a checkpoint when
resuming, and hands a :class:`RunContext` to each stage. It knows nothing about faces.
"""

from __future__ import annotations

import difflib
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import numpy as np
import torch

from zoo.atomic import write_atomic
from zoo.checkpoint import Checkpoint, Checkpointer, restore_rng
from zoo.context import Interrupted, RunContext, StageSummaries, StageSummary, WeightedLoss
from zoo.facts import FactStore
from zoo.distributed import DistInfo, barrier, init_distributed, pick_device, shutdown_distributed
from zoo.errors import ZooError
from zoo.metrics import MetricsLog
from zoo.recipe.model import Recipe
from zoo.refs import plain
from zoo.remedy import FORCE, OTHER_RUN_DIR, RESUME
from zoo.table import render_table
from zoo.registry import default_registry
from zoo.rundir import check_run_dir, claim_run_dir
from zoo.threads import current_settings

__all__ = ["RunResult", "build_context", "check_run", "run_header", "run_recipe", "render_summary"]


@dataclass
class RunResult:
    run_dir: Path
    summaries: list[StageSummary]
    is_main: bool = True  # False in the other ranks of a torchrun job: they report nothing


def _check_resume(recipe: Recipe, existing: Checkpoint | None, resume: bool, force: bool, run_dir: Path) -> None:
    if existing is not None and not resume:
        raise ZooError(
            f"{run_dir} already holds a run (checkpoint at {existing.label}); continue it with {RESUME}, "
            f"or choose {OTHER_RUN_DIR}"
        )
    if resume and existing is None:
        raise ZooError(f"nothing to resume: no checkpoint in {run_dir}")
    if existing is None:
        return
    current = recipe.resolved_yaml()
    if current != existing.recipe_yaml and not force:
        diff = "".join(
            difflib.unified_diff(
                existing.recipe_yaml.splitlines(keepends=True),
                current.splitlines(keepends=True),
                fromfile="checkpoint recipe",
                tofile="this recipe",
            )
        )
        raise ZooError(f"the recipe differs from the one {run_dir} was trained with (use {FORCE} to continue anyway):\n{diff.rstrip()}")


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _build_parts(recipe: Recipe, existing: Checkpoint | None, device: torch.device) -> tuple[dict, dict]:
    parts: dict[str, torch.nn.Module] = {}
    part_args: dict[str, dict] = {}
    for name, config in recipe.model.items():
        args = existing.part_args.get(name, config.args) if existing else config.args
        part = default_registry().build("backbone", config.name, **args)
        if existing is not None:
            part.load_state_dict(existing.part_tensors.get(name, {}), strict=True)
        parts[name] = part.to(device)
        part_args[name] = plain(args)  # JSON-ready: references written as in a recipe
    return parts, part_args


ABORT_AFTER_S = 1.0
"""A second Ctrl-C aborts only this long after the first: one key press under ``uv run`` (or any
launcher that forwards signals) delivers SIGINT twice within milliseconds, from the terminal's
process group and again from the launcher, and that must still mean "checkpoint and stop"."""


@contextmanager
def _interrupt_flag(context: RunContext) -> Iterator[None]:
    """First Ctrl-C asks the current stage to checkpoint and stop at the next step boundary."""
    first: list[float] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if not first:
            first.append(time.monotonic())
            context.interrupted = True
            if context.dist.is_main:  # os.write: a buffered print could re-enter one the signal interrupted
                os.write(2, b"Ctrl-C: stopping at the next step with a checkpoint (Ctrl-C again to abort)\n")
        elif time.monotonic() - first[0] > ABORT_AFTER_S:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, _late_copies_ignored(first[0], previous) if first else previous)


def _late_copies_ignored(pressed_at: float, previous: object) -> Callable[[int, FrameType | None], None]:
    """The SIGINT handler after a stopped run: a launcher's forwarded copy of the same key press can
    land after the checkpoint is written (a short last step), and must not turn the clean
    "continue with --resume" exit into a traceback; a press after :data:`ABORT_AFTER_S` acts as before."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if time.monotonic() - pressed_at <= ABORT_AFTER_S or previous == signal.SIG_IGN:
            return
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    return handler


def render_summary(summaries: list[StageSummary]) -> str:
    header = ("#", "STAGE", "RESOLUTION", "SAMPLES", "STEPS", "TIME", "FINAL LOSSES")
    rows = [
        (
            str(s.index + 1),  # counted from 1, like the "stage 3/8" lines
            s.stage,
            "-" if s.resolution is None else f"{s.resolution}px",
            "-" if s.samples is None else str(s.samples),
            str(s.steps) if s.steps else "-",
            f"{s.seconds:.1f}s",
            " ".join(f"{k}={v:.4f}" for k, v in s.losses.items()) or "-",
        )
        for s in summaries
    ]
    return render_table(header, rows)


def build_context(
    recipe: Recipe,
    info: DistInfo,
    device: torch.device,
    metrics: MetricsLog,
    checkpointer: Checkpointer,
    existing: Checkpoint | None = None,
) -> RunContext:
    """Build what the recipe names — data, model parts, losses — into the context stages receive."""
    data = recipe.data.build()
    parts, part_args = _build_parts(recipe, existing, device)
    losses = [WeightedLoss(c.name, c.weight, c.build()) for c in recipe.losses]
    for loss in losses:
        if isinstance(loss.module, torch.nn.Module):
            loss.module.to(device)
    return RunContext(
        recipe=recipe,
        run_dir=recipe.run_dir,
        device=device,
        dist=info,
        parts=parts,
        part_args=part_args,
        data=data,
        losses=losses,
        metrics=metrics,
        checkpointer=checkpointer,
    )


def run_recipe(recipe: Recipe, *, resume: bool = False, force: bool = False) -> RunResult:
    """Run every stage of ``recipe`` (continuing from the last checkpoint with ``resume``)."""
    info: DistInfo = init_distributed(recipe.device)
    try:
        return _run(recipe, info, resume=resume, force=force)
    finally:
        shutdown_distributed(info)


def check_run(recipe: Recipe, *, resume: bool = False, force: bool = False) -> Checkpoint | None:
    """Everything about the run directory that can be refused before work: read-only, also for --dry-run.

    Returns the checkpoint a ``resume`` continues from.
    """
    existing = Checkpointer(recipe.run_dir).latest()
    _check_resume(recipe, existing, resume, force, recipe.run_dir)
    check_run_dir(recipe.run_dir, resume=resume, has_checkpoint=existing is not None)
    return existing


def _run(recipe: Recipe, info: DistInfo, *, resume: bool, force: bool) -> RunResult:
    device = pick_device(recipe.device, info)
    run_dir = recipe.run_dir
    checkpointer = Checkpointer(run_dir)
    existing = checkpointer.latest()
    _check_resume(recipe, existing, resume, force, run_dir)
    if info.is_main:  # the other ranks never write here; rank 0 refuses for all
        check_run_dir(run_dir, resume=resume, has_checkpoint=existing is not None)
    with claim_run_dir(run_dir) if info.is_main else nullcontext():
        barrier(info)
        return _run_stages(recipe, info, device, checkpointer, existing)


def _run_stages(
    recipe: Recipe, info: DistInfo, device: torch.device, checkpointer: Checkpointer, existing: Checkpoint | None
) -> RunResult:
    run_dir = recipe.run_dir
    _seed_everything(recipe.seed)
    if info.is_main:
        write_atomic(run_dir / "recipe.yaml", recipe.resolved_yaml().encode())
    metrics = MetricsLog(run_dir / "metrics.jsonl", enabled=info.is_main)
    if existing is not None:
        metrics.truncate(existing.metrics_lines)
    elif info.is_main:
        metrics.truncate(0)
    context = build_context(recipe, info, device, metrics, checkpointer, existing)
    if existing is not None:
        context.artifacts = existing.artifacts
        context.facts = FactStore(existing.facts)
        context.resume = existing
        summaries = context.get(StageSummaries)
        context.summaries = list(summaries.rows) if summaries else []
        restore_rng(existing.rng_tensors, existing.rng_meta)
        _say(info, f"resuming {recipe.name} from {existing.label} ({existing.path})")
    total = len(recipe.stages)
    _say(info, run_header(recipe, info, device))
    with _interrupt_flag(context):
        for index, config in enumerate(recipe.stages):
            if existing is not None and (
                index < existing.stage_index or (index == existing.stage_index and existing.stage_done)
            ):
                continue
            context.stage_index = index
            action = recipe.plans[index].action if index < len(recipe.plans) else config.name
            _say(info, f"stage {index + 1}/{total} {config.name}: {action}")
            config.build().run(context)
            context.save_checkpoint(step=0, done=True)
            context.resume = None
            if context.interrupted and index + 1 < total:
                raise Interrupted(f"interrupted after stage {index + 1}/{total} {config.name}; "
                                  f"checkpoint written, continue with {RESUME}")
    if context.summaries:
        _say(info, "\n" + render_summary(context.summaries))
    _say(info, f"run directory: {run_dir}")
    return RunResult(run_dir=run_dir, summaries=context.summaries, is_main=info.is_main)


def run_header(recipe: Recipe, info: DistInfo, device: torch.device) -> str:
    """The first line of a run: what runs where, with which CPU thread settings (see zoo.threads)."""
    processes = f"{info.world_size} process{'es' * (info.world_size > 1)}"
    return f"zoo run {recipe.name}: {len(recipe.stages)} stages, {processes}, device {device}, {current_settings().describe()}"


def _say(info: DistInfo, message: str) -> None:
    if info.is_main:
        print(message, file=sys.stderr, flush=True)
