"""Steps/s of the ``train`` stage against a hand-written PyTorch loop, interleaved in one process.

Both run the same generator, discriminator, losses, optimiser settings and batches (the stage's own
deterministic batch order). Rounds alternate so machine noise hits both alike. Target: ratio >= 0.97.
Prints JSON.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import zoo  # noqa: F401 - first: zoo.threads sets OpenMP waiting before torch starts its pool
import torch

from zoo.checkpoint import Checkpointer
from zoo.distributed import DistInfo
from zoo.metrics import MetricsLog
from zoo.recipe import parse_recipe
from zoo.runner import build_context

STEPS = 20
ROUNDS = 5
RECIPE = """
name: overhead
data: {dataset: synthfaces, identities: 16, images_per_identity: 8}
model:
  generator: {backbone: adain_swap, resolution: 32, channels: 32, max_channels: 128, blocks: 3, id_dim: 128}
  discriminator: {backbone: patchgan, channels: 32, num_scales: 1}
losses:
  - {loss: pixel}
  - {loss: feature, weight: 0.1}
  - {loss: adversarial, weight: 0.02}
stages:
  - {stage: build_groups, resolution: 32, quantity: 256}
  - {stage: train, steps: %d, batch_size: 8, lr: 0.001, log_every: 1000}
output: {dir: %s, checkpoint_every: 100000}
"""


def hand_loop(context, sets, steps: int) -> float:
    """The loop a person would write: same model, losses, optimisers and batches, no framework."""
    from zoo_curriculum.batches import BatchOrder
    from zoo_losses.base import GroupOutputs, LossInputs

    generator, discriminator = context.parts["generator"], context.parts["discriminator"]
    g_opt = torch.optim.Adam([p for p in generator.parameters() if p.requires_grad], lr=1e-3, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    orders = [BatchOrder(context, s.group, len(s), 8) for s in sets]
    adversarial = context.losses[2].module
    started = time.perf_counter()
    for step in range(steps):
        batches = [(s.group, s.batch(o.indices(step, context.dist))) for s, o in zip(sets, orders)]
        source = torch.cat([b["source"] for _, b in batches])
        template = torch.cat([b["template"] for _, b in batches])
        result = generator(source, template)
        groups = [GroupOutputs(g, b["source"], b["template"], b["label"], r)
                  for (g, b), r in zip(batches, result.split([len(b["source"]) for _, b in batches]))]
        discriminator.requires_grad_(True)
        d_opt.zero_grad(set_to_none=True)
        detached = LossInputs([GroupOutputs(x.group, x.source, x.template, x.label, x.result.detach()) for x in groups],
                              discriminator)
        sum(adversarial.discriminator_loss(detached).values()).backward()
        d_opt.step()
        discriminator.requires_grad_(False)
        inputs = LossInputs(groups, discriminator)
        total = sum(loss.weight * value for loss in context.losses for value in loss.module(inputs).values())
        g_opt.zero_grad(set_to_none=True)
        total.backward()
        g_opt.step()
    return steps / (time.perf_counter() - started)


def main() -> None:
    from zoo_curriculum.samples import load_samples

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        recipe = parse_recipe(RECIPE % (STEPS, tmp), "overhead.yaml")
        context = build_context(recipe, DistInfo(), torch.device("cpu"), MetricsLog(Path(tmp) / "m.jsonl"),
                                Checkpointer(Path(tmp)))
        build, train = (config.build() for config in recipe.stages)
        context.stage_index = 0
        build.run(context)
        context.stage_index = 1
        sets = load_samples(context)
        stage_rates, hand_rates = [], []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            train.run(context)
            stage_rates.append(STEPS / (time.perf_counter() - started))
            hand_rates.append(hand_loop(context, sets, STEPS))
    stage, hand = statistics.median(stage_rates), statistics.median(hand_rates)
    print(json.dumps({
        "steps_per_round": STEPS,
        "rounds": ROUNDS,
        "train_stage_steps_per_s": round(stage, 3),
        "hand_loop_steps_per_s": round(hand, 3),
        "ratio": round(stage / hand, 3),
        "target_ratio": 0.97,
        "note": "train stage time includes its per-stage setup (optimiser rebuild, progress bar, end-of-stage grid)",
    }, indent=2))


if __name__ == "__main__":
    main()
