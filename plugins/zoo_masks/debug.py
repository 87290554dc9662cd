"""The ``--debug-masks`` picture: every mask of every face drawn over the target photo.

A person should see at a glance why a patch of skin was or was not swapped: each mask is an
outline in its own colour (legend in the corner), and the final blended mask is a green tint.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["MASK_COLOURS", "FaceMaskRecord", "draw_masks"]

MASK_COLOURS: dict[str, tuple[int, int, int]] = {
    "box": (255, 255, 255),
    "hull": (255, 200, 0),  # amber
    "contour": (0, 160, 255),  # blue
    "region": (255, 0, 255),  # magenta
    "occlusion": (255, 40, 40),  # red
    "generator": (0, 255, 255),  # cyan
}


@dataclass(frozen=True)
class FaceMaskRecord:
    """One face's masks in its aligned crop, the final mask, and the photo → crop matrix."""

    masks: dict[str, np.ndarray]
    combined: np.ndarray
    matrix: np.ndarray


def _to_photo(mask: np.ndarray, matrix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from zoo_faces.align import invert_affine

    return cv2.warpAffine(mask.astype(np.float32), invert_affine(matrix), (shape[1], shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)


def draw_masks(photo: np.ndarray, faces: list[FaceMaskRecord]) -> np.ndarray:
    """A copy of the RGB ``photo``: the final masks tinted green, each mask outlined in its colour."""
    canvas = photo.astype(np.float32)
    shape = photo.shape[:2]
    thickness = max(1, round(max(shape) / 500))
    outlines: list[tuple[np.ndarray, tuple[int, int, int]]] = []
    for face in faces:
        final = _to_photo(face.combined, face.matrix, shape)[..., None]
        canvas = canvas * (1 - 0.45 * final) + np.array([0.0, 255.0, 0.0]) * 0.45 * final
        for kind, mask in face.masks.items():
            hard = (_to_photo(mask, face.matrix, shape) > 0.5).astype(np.uint8)
            contours, _ = cv2.findContours(hard, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
            outlines.append((contours, MASK_COLOURS[kind]))
    result = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
    for contours, colour in outlines:
        cv2.drawContours(result, contours, -1, colour, thickness, cv2.LINE_AA)
    kinds = list(dict.fromkeys(kind for face in faces for kind in face.masks))
    scale = max(0.8, max(shape) / 1000)
    for row, label in enumerate([*kinds, "final (green)"]):
        colour = MASK_COLOURS.get(label, (0, 255, 0))
        y = int((row + 1) * 22 * scale) + 4
        cv2.putText(result, label, (8, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
        cv2.putText(result, label, (8, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, colour, thickness, cv2.LINE_AA)
    return result
