"""The ``evaluate`` stage: swap held-out identities and compare with ground truth, plus a picture."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from zoo.context import RunContext, StageSummary
from zoo.progress import Progress
from zoo.refs import ComponentRef, Ref, as_ref
from zoo.schedule import ScheduleState, StagePlan
from zoo_curriculum.facts import Grid, Metrics
from zoo_curriculum.grid import save_grid
from zoo_curriculum.planning import generator_resolution
from zoo_curriculum.splits import held_out_indices
from zoo_curriculum.swappers import resolve_swapper
from zoo_losses.ssim import ssim as structural_similarity

__all__ = ["Evaluate", "HeldOutPairs", "held_out_pairs", "psnr", "ssim"]
ReferenceRef = Ref("swapper", special=("exact",))


def psnr(result: torch.Tensor, target: torch.Tensor) -> float:
    mse = F.mse_loss(result, target).clamp_min(1e-10)
    return float(10 * torch.log10(1 / mse))


def ssim(result: torch.Tensor, target: torch.Tensor) -> float:
    """Mean SSIM over the pairs — the losses plugin's SSIM (Gaussian window 11, σ 1.5), as a number."""
    return float(structural_similarity(result, target).mean())


@dataclass(frozen=True)
class HeldOutPairs:
    """Swaps of held-out identities: inputs at the generator's input size, the rest at its output size."""

    source: torch.Tensor
    template: torch.Tensor
    target: torch.Tensor
    unchanged: torch.Tensor


def held_out_pairs(context: RunContext, pairs: int, reference: ComponentRef, salt: str) -> HeldOutPairs:
    """The same (source, template) pairs for the same recipe seed, stage and salt; different identities.

    ``reference`` 'exact' uses the dataset's ground-truth swaps when it has them (synthfaces) and the
    classical compositor otherwise; any other name is a registered swapper.
    """
    generator = context.parts["generator"]
    indices = held_out_indices(context) or list(range(len(context.data)))
    seed = torch.Generator().manual_seed(context.seed_for(context.stage_index, salt))
    picks = torch.randint(len(indices), (pairs, 2), generator=seed)
    sources, templates = [], []
    for a, b in picks.tolist():
        source, template = indices[a], indices[b]
        if context.data.identity(source) == context.data.identity(template):
            template = indices[(b + 1) % len(indices)]
        sources.append(source)
        templates.append(template)
    out, inputs = generator.output_resolution, generator.input_resolution
    if reference.name == "exact" and getattr(context.data, "supports_exact_swap", False):
        target = context.data.exact_swaps(sources, templates, out)
    else:
        swapper = as_ref(ReferenceRef, "classical_compositor") if reference.name == "exact" else reference
        target = resolve_swapper(context, swapper, None).swap(
            context.data.images(sources, out), context.data.images(templates, out))
    return HeldOutPairs(context.data.images(sources, inputs), context.data.images(templates, inputs), target,
                        context.data.images(templates, out))


class Evaluate:
    """Metrics on held-out identities (L1, PSNR, SSIM against ground truth) and a sample grid.

    Each score comes with the template-unchanged baseline, so a number can be read as progress.
    """

    def __init__(
        self,
        pairs: Annotated[int, Field(gt=0, le=4096, description="held-out (source, template) pairs")] = 32,
        reference: Annotated[ReferenceRef, Field(description="ground truth: 'exact' (synthetic data) or a registered swapper")] = "exact",
    ):
        self.pairs, self.reference = pairs, as_ref(ReferenceRef, reference)

    def plan(self, state: ScheduleState) -> StagePlan:
        resolution = generator_resolution(state)
        return StagePlan(f"evaluate {self.pairs} held-out pairs against {self.reference.name}", resolution, self.pairs)

    def run(self, context: RunContext) -> None:
        started = time.perf_counter()
        generator = context.parts["generator"]
        with Progress(f"stage {context.stage_number} evaluate", 2, unit="step", enabled=context.dist.is_main,
                      line_every=0) as progress:
            held = held_out_pairs(context, self.pairs, self.reference, salt="evaluate")
            progress.update(done=f"{self.pairs} reference swaps")
            out = generator.output_resolution
            source_images, template_images, target, unchanged = held.source, held.template, held.target, held.unchanged
            with torch.no_grad():
                generator.eval()
                result = generator(source_images.to(context.device), template_images.to(context.device)).float().cpu()
                generator.train()
            progress.update(done="generator")
        metrics = {
            "l1": float((result - target).abs().mean()),
            "psnr": psnr(result, target),
            "ssim": ssim(result, target),
            "template_psnr": psnr(unchanged, target),  # the do-nothing baseline: the template returned as is
            "template_ssim": ssim(unchanged, target),
            "resolution": out,
            "pairs": self.pairs,
        }
        context.put(Metrics(metrics))
        context.metrics.log(stage=context.stage_index, event="evaluate", **metrics)
        if context.dist.is_main:
            path = context.run_dir / "grids" / f"stage{context.stage_number:02d}-evaluate-{out}px.png"
            save_grid(path, {"source": source_images, "template": template_images, "result": result, "label": target},
                      title=f"held-out: psnr {metrics['psnr']:.2f} ssim {metrics['ssim']:.3f} "
                            f"(template unchanged: {metrics['template_psnr']:.2f} / {metrics['template_ssim']:.3f})")
            context.put(Grid(str(path)))
        summary = StageSummary(context.stage_index, "evaluate", out, self.pairs, seconds=time.perf_counter() - started,
                               losses={k: metrics[k] for k in ("l1", "psnr", "ssim", "template_psnr")})
        context.summaries.append(summary)
