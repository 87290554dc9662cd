"""Landmark accuracy against 68-point ground truth (300-W ``.pts`` files, e.g. the shared AFW set).

One implementation for the benches and the tests: read the annotation, find which detection is
the annotated face (box overlap), and measure the normalised mean error the 300-W way, in units
of the ground truth's inter-ocular distance (outer eye corners, 68-point indices 36 and 45).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["box_iou", "interocular", "match_box", "normalised_error", "points_box", "read_pts", "truth_five"]

_OUTER_EYE_CORNERS = (36, 45)


def read_pts(path: str | Path) -> np.ndarray:
    """A 300-W ``.pts`` file (``version`` / ``n_points`` header and braces optional) → N×2 float64."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                rows.append((float(parts[0]), float(parts[1])))
            except ValueError:
                continue  # "n_points: 68"
    return np.asarray(rows, dtype=np.float64)


def truth_five(points: np.ndarray) -> np.ndarray:
    """The zoo's 5 points from 68 ground-truth points (eye centres, nose tip, mouth corners)."""
    return np.stack([points[36:42].mean(0), points[42:48].mean(0), points[30], points[48], points[54]])


def points_box(points: np.ndarray) -> np.ndarray:
    """The tight box (x1, y1, x2, y2) around a face's points."""
    return np.concatenate([points.min(0), points.max(0)])


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box with each of K boxes."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    low = np.maximum(box[:2], boxes[:, :2])
    high = np.minimum(box[2:], boxes[:, 2:])
    inter = np.clip(high - low, 0, None).prod(1)
    area = (box[2:] - box[:2]).prod() + (boxes[:, 2:] - boxes[:, :2]).prod(1)
    return inter / np.maximum(area - inter, 1e-9)


def match_box(truth: np.ndarray, boxes: np.ndarray, min_iou: float = 0.3) -> int | None:
    """Index of the detection that is the annotated face (best overlap ≥ ``min_iou``), None = missed."""
    if len(boxes) == 0:
        return None
    overlaps = box_iou(points_box(truth), boxes)
    best = int(overlaps.argmax())
    return best if overlaps[best] >= min_iou else None


def interocular(truth: np.ndarray) -> float:
    """Outer-eye-corner distance of a 68-point ground truth (the 300-W normaliser)."""
    return float(np.linalg.norm(truth[_OUTER_EYE_CORNERS[1]] - truth[_OUTER_EYE_CORNERS[0]]))


def normalised_error(points: np.ndarray, reference: np.ndarray, truth68: np.ndarray) -> float:
    """Mean point-to-point distance of ``points`` to ``reference``, over ``truth68``'s inter-ocular distance."""
    return float(np.linalg.norm(np.asarray(points) - np.asarray(reference), axis=1).mean() / interocular(truth68))
