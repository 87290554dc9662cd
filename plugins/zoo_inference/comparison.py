"""The model next to its baselines, per metric, with 95 % intervals: the table ``zoo eval`` prints.

Every number of a swap model only means something next to what trivial swappers score on the
same pairs: the template returned unchanged (keeps pose, carries no identity), the source copied
(carries identity, ignores the template) and the weight-free classical compositor (the bar a
trained model has to clear on identity and pose at once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from zoo_inference.bootstrap import Estimate, bootstrap
from zoo_inference.pose import pose_error

__all__ = ["COMPARED", "SWAPPERS", "Judged", "compare", "comparison_table", "landmark68_distance"]

SWAPPERS: dict[str, str] = {
    "model": "model",
    "template": "template unchanged",
    "source": "source copied",
    "compositor": "classical compositor",
}

COMPARED: dict[str, str] = {
    "identity_top1": "result retrieved as the source's identity among all evaluated people (+ distractors); higher is better",
    "identity_similarity": "cos(judge(result), judge(source)); higher is better",
    "pose_error_deg": "mean |Δyaw|, |Δpitch|, |Δroll| of result vs template, degrees (68 landmarks on a 3D face); lower is better",
    "landmark68_distance": "68 landmarks of result vs template / template's inter-ocular distance (expression); lower is better",
}

_OUTER_EYE_CORNERS = (36, 45)


@dataclass(frozen=True)
class Judged:
    """What the judge and the landmarker saw in one swapper's results, pair by pair."""

    embeddings: torch.Tensor  # N×D, unit length
    landmarks: np.ndarray  # N×68×2 in crop units, NaN where no face was found


def landmark68_distance(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per face: mean distance of 68 points to the reference's, over the reference's outer-eye-corner distance."""
    interocular = np.linalg.norm(reference[:, _OUTER_EYE_CORNERS[1]] - reference[:, _OUTER_EYE_CORNERS[0]], axis=1)
    return np.linalg.norm(points - reference, axis=2).mean(1) / interocular


def _per_pair(judged: Judged, source: Judged, template: Judged, gallery: torch.Tensor,
              gallery_labels: torch.Tensor, source_labels: torch.Tensor) -> dict[str, np.ndarray]:
    retrieved = gallery_labels[(judged.embeddings @ gallery.T).argmax(1)]
    return {
        "identity_top1": (retrieved == source_labels).double().numpy(),
        "identity_similarity": (judged.embeddings * source.embeddings).sum(1).double().numpy(),
        "pose_error_deg": pose_error(judged.landmarks, template.landmarks),
        "landmark68_distance": landmark68_distance(judged.landmarks, template.landmarks),
    }


def compare(judged: dict[str, Judged], gallery: torch.Tensor, gallery_labels: torch.Tensor,
            source_labels: torch.Tensor, seed: int = 0) -> dict[str, dict[str, Estimate]]:
    """metric → swapper → mean and 95 % interval over pairs (``judged`` has every key of SWAPPERS)."""
    values = {name: _per_pair(judged[name], judged["source"], judged["template"], gallery, gallery_labels,
                              source_labels) for name in SWAPPERS}
    return {metric: {name: bootstrap(values[name][metric], seed=seed) for name in SWAPPERS} for metric in COMPARED}


def comparison_table(comparison: dict[str, dict[str, Estimate]], headline: str) -> str:
    """Rows = metrics, columns = the model and its baselines, each ``mean [low, high]``."""
    from zoo.table import render_table

    rows = [[metric, *(comparison[metric][name].format() for name in SWAPPERS)] for metric in comparison]
    lines = [headline, render_table(["metric", *SWAPPERS.values()], rows)]
    lines += [f"  {metric}: {COMPARED[metric]}" for metric in comparison]
    return "\n".join(lines)
