"""Mask IoU on held-out faces with held-out occluders: the segmenter against the landmark hull.

The hull is what ``zoo swap`` pasted inside before masks existed; it is given the *exact* face
region of each test sample (landmarks without error), so it is the best the hull can do, and its
IoU is the share of the region left visible. ``segmenter_and_hull`` is their intersection, what
``zoo swap --mask occlusion,hull`` pastes inside. All are scored on the same samples in the same
run, per occluder kind (``object_test``, held-out ``glasses``/``eleglasses``/``scarf``) and on clean faces.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import torch
from pydantic import Field
from zoo.context import RunContext, StageSummary
from zoo.schedule import ScheduleState, StagePlan
from zoo_curriculum.facts import Grid, Metrics  # what the export stage writes into the model card
from zoo_masks.train import SEGMENTER_PART, require_segmenter

__all__ = ["EvaluateMasks", "MaskScores", "mask_iou", "score_masks"]


def mask_iou(prediction: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-sample IoU of N×H×W boolean masks; two empty masks agree perfectly (1)."""
    union = (prediction | target).sum((1, 2))
    return np.where(union > 0, (prediction & target).sum((1, 2)) / np.maximum(union, 1), 1.0)


@dataclass
class MaskScores:
    """Mean IoU per occluder kind for each method, and how many test samples each kind had."""

    counts: dict[str, int] = field(default_factory=dict)
    iou: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"samples": self.counts, "iou": self.iou}

    def table(self) -> str:
        methods = list(self.iou)
        rows = [("occluder", "samples", *methods)]
        rows += [(kind, str(count), *(f"{self.iou[m][kind]:.3f}" for m in methods)) for kind, count in self.counts.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def score_masks(segmenter: torch.nn.Module, data: Any, samples: int, seed: int, batch_size: int = 64) -> tuple[MaskScores, dict]:
    """IoU at 0.5 of the segmenter and of the hull on ``samples`` test samples; also a preview batch."""
    kinds: list[str] = []
    seg_iou, hull_iou, both_iou = [], [], []
    preview: dict = {}
    segmenter.eval()
    for first in range(0, samples, batch_size):
        batch = data.batch("test", range(first, min(first + batch_size, samples)), seed)
        with torch.no_grad():
            predicted = segmenter.mask(batch["image"]).numpy()[:, 0] > 0.5
        target = batch["target"].numpy()[:, 0] > 0.5
        hull = batch["region"].numpy()[:, 0] > 0.5
        seg_iou.append(mask_iou(predicted, target))
        hull_iou.append(mask_iou(hull, target))
        both_iou.append(mask_iou(predicted & hull, target))
        kinds += [(ks[0] if len(set(ks)) == 1 else "mixed") if ks else "clean" for ks in batch["kinds"]]
        if not preview:
            preview = {"image": batch["image"][:8], "target": batch["target"][:8], "hull": batch["region"][:8],
                       "segmenter": torch.from_numpy(predicted[:8, None].astype(np.float32))}
    per = {"hull": np.concatenate(hull_iou), "segmenter": np.concatenate(seg_iou),
           "segmenter_and_hull": np.concatenate(both_iou)}
    labels = np.array(kinds)
    scores = MaskScores()
    groups = ["all", *sorted(set(kinds))]
    for group in groups:
        chosen = np.ones(len(labels), bool) if group == "all" else labels == group
        scores.counts[group] = int(chosen.sum())
    for method, values in per.items():
        scores.iou[method] = {g: round(float(values[np.ones(len(labels), bool) if g == "all" else labels == g].mean()), 4)
                              for g in groups}
    return scores, preview


def save_preview(path: Path, preview: dict) -> None:
    """Rows: occluded face | exact target | hull | segmenter (masks shown over the face)."""
    from zoo_faces.image import save_image

    image = preview["image"]
    tiles = [image] + [image * (0.35 + 0.65 * preview[key]) for key in ("target", "hull", "segmenter")]
    grid = torch.cat([torch.cat(list(t), dim=2) for t in tiles], dim=1)  # 3 × (4·S) × (N·S)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(path, grid)


class EvaluateMasks:
    """Mask IoU on held-out faces and occluders: segmenter vs the landmark hull, per occluder kind."""

    def __init__(
        self,
        samples: Annotated[int, Field(gt=0, le=20000, description="held-out test samples")] = 600,
        seed: Annotated[int, Field(description="which test samples (fixed, so runs compare)")] = 1234,
    ):
        self.samples, self.seed = samples, seed

    def plan(self, state: ScheduleState) -> StagePlan:
        resolution = require_segmenter(state)
        return StagePlan(f"mask IoU on {self.samples} held-out faces with held-out occluders (segmenter vs hull)",
                         resolution, self.samples)

    def run(self, context: RunContext) -> None:
        scores, preview = score_masks(context.parts[SEGMENTER_PART], context.data, self.samples, self.seed)
        context.metrics.log(stage=context.stage_index, event="mask_iou", **scores.to_json())
        metrics = {f"iou_{method}_{kind}": value for method, values in scores.iou.items() for kind, value in values.items()}
        earlier = context.get(Metrics)
        context.put(Metrics({**(earlier.values if earlier else {}), **metrics}))
        if context.dist.is_main:
            grid = context.run_dir / "grids" / f"stage{context.stage_number:02d}-mask-iou.png"
            save_preview(grid, preview)
            context.put(Grid(str(grid)))
            print(scores.table(), file=sys.stderr, flush=True)
        context.summaries.append(StageSummary(context.stage_index, "evaluate_masks", context.parts[SEGMENTER_PART].resolution,
                                              self.samples, losses={"iou_seg": scores.iou["segmenter"]["all"],
                                                                    "iou_hull": scores.iou["hull"]["all"]}))
