"""Judging snapshots of a training run on people it never saw, for the method benches.

``zoo eval`` judges one model and recomputes its baselines every time; a training curve judges
many snapshots of one run on the same pairs. So the pairs, the judge's gallery and the
baselines (template unchanged, source copied, classical compositor) are computed once here, and
each snapshot only pays for its own swaps. The numbers are ``zoo eval``'s (the same pair plan,
judge, landmarker and :func:`zoo_inference.comparison.compare`), plus full-reference PSNR/SSIM on
held-out fake-template groups (F1), whose label is a real photo.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zoo  # first: zoo.threads sets OpenMP waiting before torch starts its pool
import torch

__all__ = ["HeldOutJudge", "JudgedSnapshot", "baseline_means", "load_snapshot", "mean_of", "snapshots"]

BASELINES = ("template", "source", "compositor")
METRICS = ("identity_top1", "identity_similarity", "pose_error_deg", "landmark68_distance")


@dataclass(frozen=True)
class JudgedSnapshot:
    """One snapshot's scores: each judged metric's mean and 95 % interval, and PSNR/SSIM vs real labels."""

    judged: dict[str, dict[str, float | int | None]]
    psnr: float
    ssim: float

    def to_json(self) -> dict[str, Any]:
        return {**self.judged, "psnr": round(self.psnr, 3), "ssim": round(self.ssim, 4)}

    def value(self, metric: str) -> float:
        """A metric's mean (NaN when not measurable: no face found in any result)."""
        if metric in ("psnr", "ssim"):
            return getattr(self, metric)
        mean = self.judged[metric]["mean"]
        return math.nan if mean is None else float(mean)


def _estimate(estimate: Any) -> dict[str, float | int | None]:
    """An :class:`Estimate` as JSON, rounded to what 48 pairs can tell apart."""
    return {key: round(value, 4) if isinstance(value, float) else value for key, value in estimate.to_json().items()}


def snapshots(run_dir: Path, resolution: int | None = None) -> list[tuple[float, Path]]:
    """(wall time, file) of every generator snapshot the run's ``train`` stages wrote, in order."""
    found = []
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("event") == "snapshot" and (resolution is None or record["resolution"] == resolution):
            found.append((float(record["time"]), Path(record["path"])))
    return found


def load_snapshot(path: Path) -> torch.nn.Module:
    """The generator a snapshot holds, rebuilt from the arguments stored with it (strict load)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from zoo.frozen import weights_follow

    with safe_open(str(path), "pt") as handle:
        config = json.loads(handle.metadata()["generator"])
    with weights_follow():  # the snapshot holds the identity encoder's tensors
        generator = zoo.build("backbone", config["backbone"], **config["args"])
    generator.load_state_dict(load_file(str(path)), strict=True)
    return generator.eval()


class HeldOutJudge:
    """Pairs, gallery, baselines and held-out F1 groups of the held-out people, at one resolution.

    ``data`` is the whole dataset; ``held_out`` its indices no run trains on (sources, templates,
    galleries); ``distractors`` indices of other people who only join the retrieval gallery.
    """

    def __init__(self, data: Any, held_out: list[int], distractors: list[int], resolution: int,
                 pairs: int = 48, groups: int = 48, seed: int = 0, batch_size: int = 16):
        from zoo_datasets.base import Subset
        from zoo_datasets.samples import build_groups
        from zoo_faces.compositor import ClassicalCompositor
        from zoo_faces.defaults import DEFAULT_DETECTOR
        from zoo_inference.evaluate import (aligned_landmarks68, distractor_galleries, embed_faces, gallery_embeddings,
                                            plan_pairs)
        from zoo_inference.judges import build_judge

        self._embed, self._landmarks68 = embed_faces, aligned_landmarks68
        self.resolution, self.seed, self.batch_size = resolution, seed, batch_size
        self.judge = build_judge()
        self.landmarker = zoo.build("detector", DEFAULT_DETECTOR).detect_68
        evaluated, others = Subset(data, held_out), Subset(data, distractors)
        plan = plan_pairs(evaluated, pairs, seed)
        self.sources = evaluated.images(plan.sources, resolution)
        self.templates = evaluated.images(plan.templates, resolution)
        self.source_labels = torch.tensor([evaluated.identity(i) for i in plan.sources])
        gallery, labels = gallery_embeddings(self.judge, evaluated, plan.galleries, batch_size)
        extra, extra_labels = gallery_embeddings(self.judge, others, distractor_galleries(others), batch_size,
                                                 offset=int(labels.max()) + 1)
        self.gallery, self.gallery_labels = torch.cat([gallery, extra]), torch.cat([labels, extra_labels])
        self.people, self.distractor_people = len(plan.galleries), len(extra_labels)
        composited = ClassicalCompositor().swap(self.sources, self.templates)
        self.baseline_judged = {name: self._judged(images) for name, images in
                                (("template", self.templates), ("source", self.sources), ("compositor", composited))}
        (f1,) = build_groups(evaluated, resolution=resolution, quantity=groups, swapper=ClassicalCompositor(),
                             groups=("fake_template",), seed=seed)
        self.f1 = f1.batch(range(len(f1)))
        self.f1_baselines = {"template": self.f1["template"], "source": self.f1["source"],
                             "compositor": ClassicalCompositor().swap(self.f1["source"], self.f1["template"])}

    def _judged(self, images: torch.Tensor) -> Any:
        from zoo_inference.comparison import Judged

        return Judged(self._embed(self.judge, images, self.batch_size), self._landmarks68(self.landmarker, images))

    @torch.inference_mode()
    def _swap(self, generator: torch.nn.Module, sources: torch.Tensor, templates: torch.Tensor) -> torch.Tensor:
        return torch.cat([generator.swap(sources[i:i + self.batch_size], templates[i:i + self.batch_size])
                          for i in range(0, len(sources), self.batch_size)]).float().clamp(0, 1)

    def _compare(self, model: Any) -> dict[str, dict[str, Any]]:
        from zoo_inference.comparison import compare

        return compare({"model": model, **self.baseline_judged}, self.gallery, self.gallery_labels,
                       self.source_labels, seed=self.seed)

    def baselines(self) -> dict[str, dict[str, dict[str, float | int | None]]]:
        """Each baseline's judged metrics (mean, 95 % interval) and PSNR/SSIM on the held-out F1 groups."""
        from zoo_curriculum.evaluate import psnr, ssim

        comparison = self._compare(self.baseline_judged["compositor"])
        judged = {name: {metric: _estimate(comparison[metric][name]) for metric in METRICS} for name in BASELINES}
        label = self.f1["label"]
        for name, images in self.f1_baselines.items():
            judged[name] |= {"psnr": round(psnr(images, label), 3), "ssim": round(ssim(images, label), 4)}
        return judged

    def __call__(self, generator: torch.nn.Module) -> JudgedSnapshot:
        from zoo_curriculum.evaluate import psnr, ssim

        comparison = self._compare(self._judged(self._swap(generator, self.sources, self.templates)))
        result = self._swap(generator, self.f1["source"], self.f1["template"])
        return JudgedSnapshot({metric: _estimate(comparison[metric]["model"]) for metric in METRICS},
                              psnr(result, self.f1["label"]), ssim(result, self.f1["label"]))

    def describe(self) -> dict[str, Any]:
        return {"resolution": self.resolution, "pairs": len(self.sources), "f1_groups": len(self.f1["label"]),
                "held_out_people": self.people, "distractor_people": self.distractor_people,
                "judge": "dlib_resnet", "landmarks": "dlib 68"}


def mean_of(value: Any) -> float:
    """A JSON score's mean (an estimate's ``mean`` or a plain number); NaN when not measured."""
    if isinstance(value, dict):
        value = value["mean"]
    return math.nan if value is None else float(value)


def baseline_means(result: dict[str, Any], metric: str) -> dict[str, float]:
    """The baselines' means for a plot; the source copied is left off (NaN) the pixel panels: far below, it flattens them."""
    hidden = {"source"} if metric in ("psnr", "ssim") else set()
    return {name: math.nan if name in hidden else mean_of(result["baselines"][name].get(metric)) for name in BASELINES}
