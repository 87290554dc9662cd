"""The ``train`` stage: one optimiser over a chosen parameter set, the recipe's losses, exact resume.

METHODS.md P2/P5/P6/P8 (``trainable: all`` or ``new``) and F3/F4 (both groups in one step, the
weighted sum of pixel, feature, identity and adversarial losses, one update of G).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Annotated, Literal

import torch
from pydantic import Field
from torch import Tensor, nn
from zoo.context import RunContext, StageSummary
from zoo.errors import ZooError
from zoo.refs import Ref, as_ref
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo.training import TrainingLoop
from zoo_curriculum.batches import BatchOrder
from zoo_curriculum.evaluate import HeldOutPairs, ReferenceRef, held_out_pairs
from zoo_curriculum.grid import save_grid
from zoo_curriculum.facts import Growth, Trained
from zoo_curriculum.planning import generator_plan, samples_fact
from zoo_curriculum.samples import load_samples
from zoo_curriculum.trainable import select_trainable
from zoo_losses.roles import AdversarialSide

__all__ = ["MAX_STEPS", "Train"]

AugmentRef = Ref("augmenter", special=("none",))

#: A hundred million steps: months of training on any machine; more is a typo (``1e30``).
MAX_STEPS = 100_000_000
#: Adam's moment decays (SGD's momentum is the first): torch refuses anything outside [0, 1) at the first step.
Beta = Annotated[float, Field(ge=0, lt=1)]


def _make_optimizer(kind: str, parameters: list[nn.Parameter], lr: float, betas: tuple[float, float], weight_decay: float) -> torch.optim.Optimizer:
    if kind == "adam":
        return torch.optim.Adam(parameters, lr=lr, betas=betas, weight_decay=weight_decay)
    if kind == "adamw":
        return torch.optim.AdamW(parameters, lr=lr, betas=betas, weight_decay=weight_decay)
    return torch.optim.SGD(parameters, lr=lr, momentum=betas[0], weight_decay=weight_decay)


def _average_gradients(module: nn.Module, world_size: int) -> None:
    """The discriminator runs several times per step (real, fake), which DDP's reducer refuses;
    averaging its gradients explicitly is the same arithmetic DDP performs."""
    import torch.distributed as dist

    for parameter in module.parameters():
        if parameter.grad is not None:
            dist.all_reduce(parameter.grad)
            parameter.grad /= world_size


class Train:
    """Train the chosen parameters (all, new, or name patterns) on the current samples."""

    def __init__(
        self,
        steps: Annotated[int | None, Field(gt=0, le=MAX_STEPS, description="optimiser steps (or give epochs)")] = None,
        epochs: Annotated[float | None, Field(gt=0, description="passes over the samples (or give steps)")] = None,
        batch_size: Annotated[int, Field(gt=0, description="global batch per group, split across processes")] = 16,
        lr: Annotated[float, Field(gt=0)] = 2e-4,
        betas: tuple[Beta, Beta] = (0.5, 0.999),
        optimizer: Literal["adam", "adamw", "sgd"] = "adam",
        weight_decay: Annotated[float, Field(ge=0)] = 0.0,
        trainable: Annotated[str, Field(description="'all', 'new' (layers of the last grow) or comma-separated name patterns")] = "all",
        groups: Annotated[list[str] | None, Field(description="sample groups to train on (default: all built)")] = None,
        quantity: Annotated[int | None, Field(gt=0, description="use only the first N samples of each group")] = None,
        grad_clip: Annotated[float | None, Field(gt=0, description="clip the gradient norm")] = None,
        ema: Annotated[float | None, Field(gt=0, lt=1, description="EMA decay; the stage ends with the EMA weights")] = None,
        discriminator_lr: Annotated[float | None, Field(gt=0, description="default: lr")] = None,
        fade_steps: Annotated[int | None, Field(ge=0, description="steps to fade a new layer in (default: half the stage)")] = None,
        log_every: Annotated[int, Field(gt=0)] = 10,
        validate_every: Annotated[int | None, Field(gt=0, description="steps between held-out L1 checks (metrics event 'validate')")] = None,
        validate_pairs: Annotated[int, Field(gt=0, le=4096, description="held-out pairs per check")] = 32,
        snapshot_every: Annotated[int | None, Field(gt=0, description="steps between copies of the generator's weights "
                                                    "in snapshots/ (metrics event 'snapshot'), judged later")] = None,
        bf16: Annotated[bool, Field(description="bf16 autocast on GPU (ignored on CPU)")] = True,
        augment: Annotated[AugmentRef, Field(description="'none' or a registered augmenter (e.g. paired_augment): "
                                                          "every step draws anew, template and label alike")] = "none",
    ):
        if (steps is None) == (epochs is None):
            raise PlanError("steps", "give exactly one of steps or epochs")
        self.steps, self.epochs, self.batch_size = steps, epochs, batch_size
        self.lr, self.betas, self.optimizer, self.weight_decay = lr, tuple(betas), optimizer, weight_decay
        self.trainable, self.groups, self.quantity = trainable, groups, quantity
        self.grad_clip, self.ema, self.discriminator_lr = grad_clip, ema, discriminator_lr
        self.fade_steps, self.log_every, self.bf16 = fade_steps, log_every, bf16
        self.validate_every, self.validate_pairs = validate_every, validate_pairs
        self.snapshot_every = snapshot_every
        self.augment = as_ref(AugmentRef, augment)

    # -- plan -------------------------------------------------------------------------------------

    def _step_count(self, quantity: int) -> int:
        return self.steps if self.steps is not None else max(1, math.ceil(self.epochs * quantity / self.batch_size))

    def plan(self, state: ScheduleState) -> StagePlan:
        samples = samples_fact(state, "steps")
        planned = generator_plan(state)
        resolution = planned.resolution
        if samples.label_resolution != resolution:
            raise PlanError(None, f"the samples are labelled at {samples.label_resolution}px but the generator outputs "
                                  f"{resolution}px here; build or upscale samples at {resolution}px first")
        if self.trainable == "new" and planned.grows == 0:
            raise PlanError("trainable", "'new' means the layers inserted by the last grow, and no grow stage comes before")
        available = samples.groups
        if self.groups is not None:
            unknown = [g for g in self.groups if g not in available]
            if unknown:
                raise PlanError("groups", f"{', '.join(unknown)} not built by the previous stages (built: {', '.join(available)})")
        per_group = samples.quantity // len(available)
        if self.quantity is not None and self.quantity > per_group:
            raise PlanError("quantity", f"{self.quantity} is more than the {per_group} samples per group built before")
        quantity = (self.quantity or per_group) * len(self.groups or available)
        steps = self._step_count(self.quantity or per_group)
        if steps > MAX_STEPS:
            raise PlanError("epochs", f"{self.epochs:g} epochs of {self.quantity or per_group} samples in batches of "
                                      f"{self.batch_size} are {steps} steps, more than {MAX_STEPS}")
        self._check_batch_memory(state, resolution, len(self.groups or available))
        state.put(Trained())
        return StagePlan(f"train {steps} steps, batch {self.batch_size}, {self.optimizer} lr {self.lr:g}",
                         resolution, quantity, self.trainable)

    def _check_batch_memory(self, state: ScheduleState, resolution: int, groups: int) -> None:
        """A batch's images alone (activations come on top) must fit: 10^12 would otherwise hang the first step."""
        from zoo.recipe.resources import format_bytes, machine_memory, resolved_device, sample_bytes

        available, whose = machine_memory(resolved_device(state.recipe.device))
        needed = sample_bytes(self.batch_size * groups, resolution)
        if needed > available:
            raise PlanError("batch_size", f"{self.batch_size} samples per group at {resolution}px need "
                                          f"~{format_bytes(needed)} for the images alone, more than {whose} "
                                          f"{format_bytes(available)} of memory")

    # -- run --------------------------------------------------------------------------------------

    def run(self, context: RunContext) -> None:
        generator = context.parts["generator"]
        discriminator = context.parts.get("discriminator")
        sets = load_samples(context, self.groups)
        if self.quantity is not None:
            sets = [s.subset(range(min(self.quantity, len(s)))) for s in sets]
        world = context.dist.world_size
        if self.batch_size % world:
            raise ZooError(f"stage {context.stage_number}: batch_size {self.batch_size} is not divisible by {world} processes")
        steps = self._step_count(len(sets[0]))
        growth = context.get(Growth)
        names = select_trainable(generator, self.trainable, growth.new_parameters if growth else None)
        named = dict(generator.named_parameters())
        g_params = [named[n] for n in names]
        g_opt = _make_optimizer(self.optimizer, g_params, self.lr, self.betas, self.weight_decay)
        adversarial = [loss for loss in context.losses if isinstance(loss.module, AdversarialSide)]
        d_opt = None
        if discriminator is not None and adversarial:
            d_opt = _make_optimizer(self.optimizer, list(discriminator.parameters()), self.discriminator_lr or self.lr,
                                    self.betas, self.weight_decay)
        ema = {n: named[n].detach().clone() for n in names} if self.ema else {}
        loop = TrainingLoop(context, steps, label="train", log_every=self.log_every,
                            optimizers={"g_opt": g_opt, "d_opt": d_opt}, tensors={f"ema.{n}": t for n, t in ema.items()})
        fading = bool(growth and growth.fade_pending) or float(getattr(generator, "fade_alpha", 1.0)) < 1.0
        fade_steps = (self.fade_steps if self.fade_steps is not None else steps // 2) if fading else 0
        model: nn.Module = generator
        if context.dist.enabled:
            model = nn.parallel.DistributedDataParallel(generator, find_unused_parameters=True)
        orders = [BatchOrder(context, s.group, len(s), self.batch_size) for s in sets]
        generator.train()
        if discriminator is not None:
            discriminator.train()
        held = held_out_pairs(context, self.validate_pairs, as_ref(ReferenceRef, "exact"), salt="validate") if self.validate_every else None
        augment = None if self.augment.kind is None else self.augment.build()
        with loop:
            for step in loop.steps():
                if fading:
                    generator.set_fade(min(1.0, (step + 1) / max(1, fade_steps)))
                    if growth is not None:
                        context.put(replace(growth, fade_pending=float(generator.fade_alpha) < 1.0))
                seed = augment_seed(context.recipe.seed, context.stage_index, step)  # fresh per step, same on resume
                batches = [(s.group, s.batch(order.indices(step, context.dist), augment, seed)) for s, order in zip(sets, orders)]
                terms = self._step(context, model, generator, discriminator, batches, g_params, g_opt, d_opt)
                if ema:
                    with torch.no_grad():
                        for n in names:
                            ema[n].lerp_(named[n].detach(), 1 - self.ema)
                loop.record(step, terms, images=self.batch_size * len(sets))
                done = step + 1
                if held is not None and (done % self.validate_every == 0 or done == steps):
                    _validate(context, generator, held, done)
                if self.snapshot_every and context.dist.is_main and (done % self.snapshot_every == 0 or done == steps):
                    _snapshot(context, generator, done, ema)
        if ema:
            with torch.no_grad():
                for n in names:
                    named[n].copy_(ema[n])
        final = {k: v for k, v in loop.final_terms().items() if not k.startswith("D/")}
        self._finish(context, generator, sets, steps - loop.start, loop.seconds, final)

    def _step(self, context: RunContext, model: nn.Module, generator: nn.Module, discriminator: nn.Module | None,
              batches: list[tuple[str, dict[str, Tensor]]], g_params: list[nn.Parameter], g_opt: torch.optim.Optimizer,
              d_opt: torch.optim.Optimizer | None) -> dict[str, float]:
        from zoo_losses.base import GroupOutputs, LossInputs

        device = context.device
        source = torch.cat([b["source"] for _, b in batches]).to(device)
        template = torch.cat([b["template"] for _, b in batches]).to(device)
        autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.bf16 and device.type == "cuda")
        with autocast:
            results = model(source, template).float()
        groups, offset = [], 0
        for name, batch in batches:
            count = len(batch["source"])
            groups.append(GroupOutputs(group=name, source=source[offset:offset + count],
                                       template=template[offset:offset + count],
                                       label=batch["label"].to(device),
                                       result=results[offset:offset + count]))
            offset += count
        terms: dict[str, float] = {}
        if d_opt is not None and discriminator is not None:
            discriminator.requires_grad_(True)
            d_opt.zero_grad(set_to_none=True)
            detached = LossInputs([GroupOutputs(g.group, g.source, g.template, g.label, g.result.detach()) for g in groups],
                                  discriminator)
            d_total = torch.zeros((), device=device)
            for loss in context.losses:
                if isinstance(loss.module, AdversarialSide):
                    for key, value in loss.module.discriminator_loss(detached).items():
                        d_total = d_total + value
                        terms[f"D/{key}"] = float(value.detach())
            d_total.backward()
            if context.dist.enabled:
                _average_gradients(discriminator, context.dist.world_size)
            d_opt.step()
        if discriminator is not None:
            discriminator.requires_grad_(False)
        inputs = LossInputs(groups, discriminator)
        total = torch.zeros((), device=device)
        for loss in context.losses:
            for key, value in loss.module(inputs).items():
                total = total + loss.weight * value
                terms[key if key.startswith(loss.name) else f"{loss.name}/{key}"] = float(value.detach())
        terms["loss"] = float(total.detach())
        if not all(math.isfinite(v) for v in terms.values()):
            latest = context.checkpointer.latest()
            kept = f"last good checkpoint: {latest.path}" if latest else "no checkpoint was written yet"
            shown = ", ".join(f"{k}={v:.4g}" for k, v in terms.items())
            raise ZooError(f"stage {context.stage_number} (train): loss is not finite ({shown}); {kept}; "
                           "lower the learning rate or set grad_clip")
        g_opt.zero_grad(set_to_none=True)
        total.backward()
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(g_params, self.grad_clip)
        g_opt.step()
        return terms

    def _finish(self, context: RunContext, generator: nn.Module, sets: list, steps: int, seconds: float,
                final: dict[str, float]) -> None:
        context.summaries.append(StageSummary(context.stage_index, "train", generator.output_resolution,
                                              sum(len(s) for s in sets), steps, seconds, final))
        if context.dist.is_main:
            preview = sets[0].batch(list(range(min(8, len(sets[0])))))
            with torch.no_grad():
                generator.eval()
                result = generator(preview["source"].to(context.device), preview["template"].to(context.device)).cpu()
                generator.train()
            path = context.run_dir / "grids" / f"stage{context.stage_number:02d}-train-{generator.output_resolution}px.png"
            save_grid(path, {**preview, "result": result}, title=f"stage {context.stage_number} train")


def augment_seed(recipe_seed: int, stage: int, step: int) -> int:
    """The augmentation seed of one step: a sample seen in two epochs gets two different draws."""
    return (recipe_seed * 1_000_003 + stage) * 100_000_007 + step


def _validate(context: RunContext, generator: nn.Module, held: HeldOutPairs, step: int) -> None:
    """Held-out L1 against ground truth, with wall time, for validation curves (bench/curriculum)."""
    with torch.no_grad():
        generator.eval()
        result = generator(held.source.to(context.device), held.template.to(context.device)).float().cpu()
        generator.train()
    context.metrics.log(stage=context.stage_index, step=step, event="validate", resolution=generator.output_resolution,
                        val_l1=float((result - held.target).abs().mean()), time=time.time())


def _snapshot(context: RunContext, generator: nn.Module, step: int, ema: dict[str, Tensor]) -> None:
    """The generator's weights now (the EMA ones when kept) with the arguments that rebuild it, for
    judging a training curve afterwards: a judge inside the loop would cost the run wall time."""
    import json

    from safetensors.torch import save_file

    weights = {name: tensor.detach().clone().contiguous().cpu() for name, tensor in generator.state_dict().items()}
    weights |= {name: tensor.detach().clone().cpu() for name, tensor in ema.items()}
    path = context.run_dir / "snapshots" / f"stage{context.stage_number:02d}-step{step:08d}.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"backbone": context.recipe.model["generator"].name, "args": context.part_args["generator"]}
    save_file(weights, str(path), metadata={"generator": json.dumps(config)})
    context.metrics.log(stage=context.stage_index, step=step, event="snapshot", resolution=generator.output_resolution,
                        path=str(path), time=time.time())
