"""Measuring a swap model: identity by an independent judge, pose/expression kept, pixels vs ground truth.

A swap has to do two opposite things: carry the source's identity and keep everything else of the
template. So every number comes with what trivial swappers score on the same pairs (the template
returned unchanged, the source pasted as is, the classical compositor; see
:mod:`zoo_inference.comparison`), with bootstrap intervals, and the judge is by default dlib's
ResNet, which no recipe trains with (:mod:`zoo_inference.judges`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from zoo.devices import module_device
from zoo.errors import ZooError
from zoo.progress import Progress
from zoo_datasets.base import FaceDataset, identity_groups
from zoo_inference.bootstrap import Estimate
from zoo_inference.comparison import Judged, compare, comparison_table
from zoo_inference.swap import Detector

Landmarker = Callable[[np.ndarray], tuple[Any, np.ndarray]]
"""One photo → (its FaceDetections, K×68×2 landmarks): the ``dlib`` detector's ``detect_68``."""

__all__ = [
    "METRIC_HELP",
    "EvalError",
    "EvalPlan",
    "EvalResult",
    "aligned_landmarks",
    "aligned_landmarks68",
    "distractor_galleries",
    "embed_faces",
    "evaluate_swaps",
    "gallery_embeddings",
    "load_eval_dataset",
    "MAX_PAIRS",
    "plan_pairs",
]

METRIC_HELP: dict[str, str] = {
    "identity_similarity": "cos(judge(result), judge(source)), higher is better",
    "identity_similarity_template": "same for the unchanged template: what doing nothing scores",
    "pose_error_deg": "head-pose error of the result vs the template, degrees (lower is better)",
    "landmark68_distance": "68-point expression distance result vs template (lower is better)",
    "retrieval_top1": "result recognised as the source's identity among all identities (+ distractors)",
    "retrieval_as_template": "result still recognised as the template's identity (lower is better)",
    "judge_top1_sources": "judge sanity: source photos recognised as their own identity",
    "landmark_distance": "5-point landmarks result vs template / inter-ocular distance (lower is better)",
    "landmark_distance_source": "same for the source itself: what ignoring the template scores",
    "landmark_detected": "fraction of pairs whose landmarks were found in both result and template",
    "psnr": "dB against the exact ground-truth swap, higher is better",
    "ssim": "SSIM against the exact ground-truth swap, higher is better",
    "pairs": "(source, template) pairs of different identities",
    "identities": "identities with a source and a gallery",
    "distractor_identities": "identities only in the gallery (never a source), making retrieval harder",
    "resolution": "generator output resolution (px)",
}

_LANDMARK_FACE = 128  # aligned faces are detected at this size ...
_LANDMARK_MARGIN = 64  # ... with this much replicated border, so the detector sees a whole head
_JUDGE_SIZE = 112


class EvalError(ZooError):
    """Data that cannot be evaluated: too few identities or images, no such dataset."""


@dataclass(frozen=True)
class EvalPlan:
    """Which faces are sources, templates and per-identity galleries (disjoint from the sources)."""

    sources: list[int]
    templates: list[int]
    galleries: dict[int, list[int]]


@dataclass
class EvalResult:
    """Metrics (None where not measurable) and notes that say why something was skipped."""

    metrics: dict[str, float | int | None]
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    comparison: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    headline: str = "model and baselines on the same pairs, mean [95% bootstrap interval]"

    def table(self) -> str:
        """The comparison with the baselines (when measured), then every metric of the model with its meaning."""
        lines = [comparison_table(self.comparison, self.headline), ""] if self.comparison else []
        return "\n".join([*lines, self._metric_rows()])

    def _metric_rows(self) -> str:
        rows = [(name, _format(value), METRIC_HELP.get(name, "")) for name, value in self.metrics.items()]
        width = [max(len(row[i]) for row in [("metric", "value", ""), *rows]) for i in range(2)]
        lines = [f"{'metric'.ljust(width[0])}  {'value'.rjust(width[1])}  meaning"]
        lines += [f"{name.ljust(width[0])}  {value.rjust(width[1])}  {help_}".rstrip() for name, value, help_ in rows]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        compared = {metric: {name: estimate.to_json() for name, estimate in by_swapper.items()}
                    for metric, by_swapper in self.comparison.items()}
        return {**self.details, "metrics": self.metrics, "comparison": compared, "notes": self.notes}


def _format(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}"


#: Ample for a 95% interval (its width shrinks as 1/sqrt(pairs)); 10^5 swaps take hours on a CPU already.
MAX_PAIRS = 100_000


def plan_pairs(dataset: FaceDataset, pairs: int, seed: int = 0, gallery_size: int = 12) -> EvalPlan:
    """Deterministic pairs: sources cycle over identities, templates come from other identities.

    Each identity's faces are shuffled once; the first few are its possible sources, the rest (up
    to ``gallery_size``) its gallery, so retrieval never matches a face against itself.
    """
    if not 1 <= pairs <= MAX_PAIRS:  # the plan is built in Python before any swap: 10^9 pairs never come back
        raise EvalError(f"--pairs {pairs}: must be between 1 and {MAX_PAIRS} (one swap each)")
    rng = np.random.default_rng(seed)
    groups = {label: list(rng.permutation(members)) for label, members in identity_groups(dataset).items()}
    usable = {label: members for label, members in groups.items() if len(members) >= 2}
    if len(usable) < 2:
        raise EvalError(
            f"{dataset!r}: evaluation needs at least 2 identities with 2 or more faces each "
            f"(one as source, the rest as gallery); found {len(usable)}"
        )
    pools = {label: members[: max(1, min(len(members) // 2, 4))] for label, members in usable.items()}
    galleries = {label: [int(i) for i in members[len(pools[label]):][:gallery_size]] for label, members in usable.items()}
    labels = sorted(usable)
    everyone = [(label, int(index)) for label, members in groups.items() for index in members]
    sources, templates = [], []
    for k in range(pairs):
        label = labels[k % len(labels)]
        pool = pools[label]
        sources.append(int(pool[(k // len(labels)) % len(pool)]))
        while True:
            other, index = everyone[int(rng.integers(len(everyone)))]
            if other != label:
                templates.append(index)
                break
    return EvalPlan(sources=sources, templates=templates, galleries=galleries)


def load_eval_dataset(data: str | Path, args: dict[str, Any] | None = None, option: str = "--data") -> FaceDataset:
    """A folder of aligned faces (one subfolder per identity) or a registered dataset name; ``option`` is
    the flag that named it (``--distractors`` too), so a refusal points at the right one."""
    import zoo

    args = dict(args or {})
    folder = Path(data).expanduser()
    if folder.is_dir():
        return zoo.build("dataset", "aligned", root=str(folder), **args)
    names = [spec.name for spec in zoo.list_components("dataset")]
    if str(data) in names:
        return zoo.build("dataset", str(data), **args)
    raise EvalError(
        f"{option} {data}: no such folder and no registered dataset of that name "
        f"(datasets: {', '.join(names) or 'none installed'})"
    )


def _canvases(faces: torch.Tensor) -> list[np.ndarray]:
    """Each aligned crop enlarged to 128 px inside a replicated border, so a detector sees a whole head.

    An aligned crop is cut tight around the face, which is not what a detector is trained on.
    """
    import cv2

    from zoo_faces.image import to_uint8

    photos = []
    for face in faces:
        image = cv2.resize(to_uint8(face), (_LANDMARK_FACE, _LANDMARK_FACE), interpolation=cv2.INTER_CUBIC)
        photos.append(cv2.copyMakeBorder(image, *(_LANDMARK_MARGIN,) * 4, cv2.BORDER_REPLICATE))
    return photos


def _central(boxes: np.ndarray) -> int:
    """The detection nearest the canvas centre: the aligned face, not a face in its border."""
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2.0
    return int(np.argmin(np.abs(centres - (_LANDMARK_FACE / 2.0 + _LANDMARK_MARGIN)).sum(1)))


def aligned_landmarks(detector: Detector, faces: torch.Tensor) -> np.ndarray:
    """Five landmarks of each aligned face (N×3×r×r) in units of the crop side; NaN where none is found."""
    found = np.full((len(faces), 5, 2), np.nan)
    for row, detections in enumerate(detector(_canvases(faces))):
        if len(detections):
            found[row] = (detections.landmarks[_central(detections.boxes)] - _LANDMARK_MARGIN) / _LANDMARK_FACE
    return found


def aligned_landmarks68(landmarker: Landmarker, faces: torch.Tensor) -> np.ndarray:
    """68 landmarks of each aligned face (N×3×r×r) in units of the crop side; NaN where no face is found."""
    found = np.full((len(faces), 68, 2), np.nan)
    for row, photo in enumerate(_canvases(faces)):
        detections, points = landmarker(photo)
        if len(detections):
            found[row] = (points[_central(detections.boxes)] - _LANDMARK_MARGIN) / _LANDMARK_FACE
    return found


def _landmark_distance(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Mean point distance per pair, in units of the reference's inter-ocular distance (NaN if missing)."""
    interocular = np.linalg.norm(reference[:, 1] - reference[:, 0], axis=1)
    return np.linalg.norm(points - reference, axis=2).mean(1) / interocular


def _mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


@torch.inference_mode()
def embed_faces(judge: torch.nn.Module, images: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Unit-length judge embeddings of ``images``, in batches (the judged identity of faces)."""
    device = module_device(judge)  # zoo eval --device; results come back to the CPU
    chunks = [judge(images[start:start + batch_size].to(device)).cpu() for start in range(0, len(images), batch_size)]
    return F.normalize(torch.cat(chunks).float(), dim=1)


@torch.inference_mode()
def _swap(generator: torch.nn.Module, sources: torch.Tensor, templates: torch.Tensor, batch_size: int) -> torch.Tensor:
    device = module_device(generator)
    chunks = [generator.swap(sources[start:start + batch_size].to(device),
                             templates[start:start + batch_size].to(device)).cpu()
              for start in range(0, len(sources), batch_size)]
    return torch.cat(chunks).float().clamp(0.0, 1.0)


def gallery_embeddings(judge: torch.nn.Module, dataset: FaceDataset, galleries: dict[int, list[int]], batch_size: int,
                       offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """One mean embedding per identity (unit length) and its label (+ ``offset``, for distractors)."""
    labels = sorted(galleries)
    means = [F.normalize(embed_faces(judge, dataset.images(galleries[label], _JUDGE_SIZE), batch_size).mean(0), dim=0)
             for label in labels]
    return torch.stack(means), torch.tensor(labels) + offset


def distractor_galleries(distractors: FaceDataset, gallery_size: int = 12) -> dict[int, list[int]]:
    """Gallery photos of each distractor identity: retrieval must pick the source among more than the evaluated people."""
    return {label: list(members)[:gallery_size] for label, members in identity_groups(distractors).items()}


def evaluate_swaps(
    generator: torch.nn.Module,
    dataset: FaceDataset,
    judge: torch.nn.Module,
    pairs: int = 64,
    detector: Detector | None = None,
    seed: int = 0,
    batch_size: int = 16,
    landmarker: Landmarker | None = None,
    distractors: FaceDataset | None = None,
) -> EvalResult:
    """Swap ``pairs`` (source, template) faces of different identities and measure the results.

    With a ``landmarker`` (68 points), the model is also compared with the template unchanged,
    the source copied and the classical compositor on identity top-1, identity similarity, head
    pose and expression, each with a bootstrap interval. ``distractors`` (a face dataset of other
    people) only join the retrieval gallery. Progress (stderr) counts the phases.
    """
    phases = 3 + (detector is not None) + (landmarker is not None)
    with Progress("eval", phases, unit="phase", line_every=0) as progress:
        return _measure(generator, dataset, judge, pairs, detector, seed, batch_size, landmarker, distractors,
                        progress)


def _measure(generator: torch.nn.Module, dataset: FaceDataset, judge: torch.nn.Module, pairs: int,
             detector: Detector | None, seed: int, batch_size: int, landmarker: Landmarker | None,
             distractors: FaceDataset | None, progress: Progress) -> EvalResult:
    from zoo_curriculum.evaluate import psnr, ssim
    from zoo_faces.compositor import ClassicalCompositor

    plan = plan_pairs(dataset, pairs, seed)
    size_in, size_out = int(generator.input_resolution), int(generator.output_resolution)
    sources = dataset.images(plan.sources, size_in)
    templates = dataset.images(plan.templates, size_in)
    results = _swap(generator, sources, templates, batch_size)
    if not torch.isfinite(results).all():
        raise EvalError("the generator produced non-finite pixels (NaN/inf): the model's weights are broken")
    progress.update(done=f"{pairs} swaps")

    source_labels = torch.tensor([dataset.identity(i) for i in plan.sources])
    template_labels = torch.tensor([dataset.identity(i) for i in plan.templates])
    gallery, gallery_labels = gallery_embeddings(judge, dataset, plan.galleries, batch_size)
    if distractors is not None:
        extra, extra_labels = gallery_embeddings(judge, distractors, distractor_galleries(distractors), batch_size,
                                       offset=int(gallery_labels.max()) + 1)
        gallery, gallery_labels = torch.cat([gallery, extra]), torch.cat([gallery_labels, extra_labels])
    # sources and templates are judged as the model saw them, so "do nothing" scores exactly the template
    e_source = embed_faces(judge, sources, batch_size)
    e_template = embed_faces(judge, templates, batch_size)
    e_result = embed_faces(judge, results, batch_size)
    retrieved = gallery_labels[(e_result @ gallery.T).argmax(1)]
    progress.update(done="identity judged")

    metrics: dict[str, float | int | None] = {
        "identity_similarity": float((e_result * e_source).sum(1).mean()),
        "identity_similarity_template": float((e_template * e_source).sum(1).mean()),
        "retrieval_top1": float((retrieved == source_labels).float().mean()),
        "retrieval_as_template": float((retrieved == template_labels).float().mean()),
        "judge_top1_sources": float((gallery_labels[(e_source @ gallery.T).argmax(1)] == source_labels).float().mean()),
    }
    notes: list[str] = []
    if detector is None:
        metrics |= {"landmark_distance": None, "landmark_distance_source": None, "landmark_detected": None}
        notes.append("landmark distance skipped: no detector (pass --detector retinaface -a weights=...)")
    else:
        on_result = aligned_landmarks(detector, results)
        on_template = aligned_landmarks(detector, templates)
        on_source = aligned_landmarks(detector, sources)
        distance = _landmark_distance(on_result, on_template)
        metrics |= {
            "landmark_distance": _mean(distance),
            "landmark_distance_source": _mean(_landmark_distance(on_source, on_template)),
            "landmark_detected": float(np.isfinite(distance).mean()),
        }
        if metrics["landmark_distance"] is None:
            notes.append("landmark distance: the detector found no face in any result (not face-like enough)")
        progress.update(done="landmarks")
    comparison: dict[str, dict[str, Estimate]] = {}
    if landmarker is not None:
        composited = ClassicalCompositor().swap(sources, templates)
        judged = {
            "model": Judged(e_result, aligned_landmarks68(landmarker, results)),
            "template": Judged(e_template, aligned_landmarks68(landmarker, templates)),
            "source": Judged(e_source, aligned_landmarks68(landmarker, sources)),
            "compositor": Judged(embed_faces(judge, composited, batch_size), aligned_landmarks68(landmarker, composited)),
        }
        comparison = compare(judged, gallery, gallery_labels, source_labels, seed=seed)
        metrics |= {metric: comparison[metric]["model"].mean for metric in ("pose_error_deg", "landmark68_distance")}
        if comparison["pose_error_deg"]["model"].count < pairs:
            found = comparison["pose_error_deg"]["model"].count
            notes.append(f"pose and expression measured on {found}/{pairs} pairs: no face found in the others' result or template")
        progress.update(done="pose and expression")
    if getattr(dataset, "supports_exact_swap", False):
        truth = dataset.exact_swaps(plan.sources, plan.templates, size_out)
        metrics |= {"psnr": psnr(results, truth), "ssim": ssim(results, truth)}
    else:
        metrics |= {"psnr": None, "ssim": None}
        notes.append(f"PSNR/SSIM skipped: {dataset!r} has no ground-truth swaps (synthfaces has)")
    progress.update(done="pixels")
    metrics |= {"pairs": pairs, "identities": len(plan.galleries),
                "distractor_identities": len(gallery_labels) - len(plan.galleries), "resolution": size_out}
    details = {"sources": plan.sources, "templates": plan.templates}
    return EvalResult(metrics=metrics, notes=notes, details=details, comparison=comparison)
