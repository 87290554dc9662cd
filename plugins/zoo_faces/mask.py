"""Soft face masks from five landmarks: where a swapped face may replace the original.

Five points say nothing about the face outline, so the region is built in a face-local frame
(origin between the eyes, one unit = eye-to-mouth distance): brows, cheeks and chin sit at fixed
offsets that cover the inner face of most people. Working in that frame makes the mask follow
the landmarks through rotation and scale. The edge is feathered *inward* (zero on the outline),
so blending never reaches past the region.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

__all__ = ["MaskKind", "face_mask", "face_polygon"]

MaskKind = Literal["hull", "ellipse"]

# (across, down) in eye-to-mouth units from the eye centre: brows, cheeks, jaw, chin.
_HULL_OFFSETS = np.array(
    [
        [-0.35, -0.55], [0.35, -0.55], [-0.78, -0.42], [0.78, -0.42],
        [-0.95, 0.25], [0.95, 0.25], [-0.85, 0.78], [0.85, 0.78],
        [-0.55, 1.22], [0.55, 1.22], [0.0, 1.38],
    ],
    dtype=np.float64,
)
_ELLIPSE_CENTRE = 0.4
_ELLIPSE_AXES = (0.92, 0.98)


def _face_frame(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (5, 2):
        raise ValueError(f"expected 5×2 landmarks, got {landmarks.shape}")
    eye_centre = landmarks[:2].mean(0)
    down = landmarks[3:].mean(0) - eye_centre
    across = np.array([-down[1], down[0]])
    return eye_centre, across, down


def face_polygon(landmarks: np.ndarray, kind: MaskKind = "hull") -> np.ndarray:
    """The outline (M×2, pixels) of the replaceable face region for these landmarks."""
    origin, across, down = _face_frame(landmarks)
    if kind == "hull":
        points = origin + _HULL_OFFSETS[:, :1] * across + _HULL_OFFSETS[:, 1:] * down
        points = np.vstack([points, np.asarray(landmarks, dtype=np.float64)])
        return cv2.convexHull(points.astype(np.float32))[:, 0].astype(np.float64)
    if kind == "ellipse":
        angles = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
        a, b = _ELLIPSE_AXES
        centre = origin + _ELLIPSE_CENTRE * down
        return centre + (a * np.cos(angles))[:, None] * across + (b * np.sin(angles))[:, None] * down
    raise ValueError(f"unknown mask kind {kind!r} (hull or ellipse)")


def face_mask(
    size: int | tuple[int, int],
    landmarks: np.ndarray,
    kind: MaskKind = "hull",
    feather: float = 0.25,
) -> np.ndarray:
    """An H×W float32 mask in [0, 1]: 1 deep inside the face region, 0 on and outside its outline.

    ``feather`` is the width of the soft edge in eye-to-mouth units (0 gives a hard edge).
    """
    height, width = (size, size) if isinstance(size, int) else size
    polygon = face_polygon(landmarks, kind)
    subpixel = 4
    hard = np.zeros((height, width), dtype=np.uint8)
    cv2.fillPoly(hard, [np.round(polygon * (1 << subpixel)).astype(np.int32)], 255, cv2.LINE_8, subpixel)
    if feather <= 0:
        return (hard > 0).astype(np.float32)
    _, _, down = _face_frame(landmarks)
    radius = max(feather * float(np.hypot(*down)), 1.0)
    depth = cv2.distanceTransform(np.pad(hard, 1), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    ramp = np.clip(depth / radius, 0.0, 1.0)
    return (ramp * ramp * (3.0 - 2.0 * ramp)).astype(np.float32)
