"""Moving a face's 68 landmarks toward another's: the compositor's ``expression``.

The classical compositor aligns the source to the template by five points (eyes, nose, mouth
corners) and pastes its whole inner face, so the result carries the *source's* expression: its eye
opening, brow line and mouth shape. Warping the source first, smoothly, so that its 68 landmarks
land on the template's (a thin-plate spline through the point pairs, pinned at the crop border),
keeps the template's expression and moves only texture. That matters most where the compositor
makes training groups (METHODS F1, F2): a fake template built this way still shows the real
label's expression, so the model learns to keep the template's expression instead of guessing it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from zoo_faces.align import canonical_landmarks, umeyama

__all__ = ["aligned_landmarks68", "follow_landmarks", "thin_plate_grid"]

_CANONICAL_BOX = np.array([0.17, 0.25, 0.875, 0.96])
"""Where dlib's HOG detector puts its box on a canonical aligned crop (x1, y1, x2, y2 in crop sides;
median over 59 Glint faces, spread ±0.05): the box the 68-point predictor was trained on, given
directly so that no detection (35 ms a face, and misses) is needed on crops whose layout is known."""
_PREDICTOR_SIZE = 128  # crops are enlarged to this before the predictor (it was trained on larger faces)
_BORDER_PINS = 16  # fixed points per crop side: the warp leaves hair, ears and background where they are
_SMOOTHING = 1e-3  # thin-plate regularisation (crop units): a noisy landmark bends the face, not tears it
_INNER = slice(17, 68)  # brows, nose, eyes, mouth: the expression; the jaw line stays the five-point alignment's
_OUTER_EYE_CORNERS = (36, 45)
_MAX_SHIFT = 0.2
"""Largest mean landmark move, in the template's inter-ocular distances. Beyond it (a profile beside a
frontal face, a landmark fit gone wrong) the move is scaled down to this: a smaller, smooth correction
instead of a face folded over itself."""
_GRID = 17  # the spline is evaluated on this coarse grid and interpolated linearly (exact where it is affine)


def _box_for(points5: np.ndarray, size: int) -> np.ndarray:
    """The canonical box carried by the similarity that maps the canonical five points onto ``points5``."""
    matrix = umeyama(canonical_landmarks(size), points5)
    x1, y1, x2, y2 = _CANONICAL_BOX * size
    corners = np.array([[x1, y1, 1.0], [x2, y2, 1.0]]) @ matrix.T
    return corners.reshape(4)


def aligned_landmarks68(landmarker: object, faces: torch.Tensor, points5: np.ndarray | None = None) -> np.ndarray:
    """N×68×2 landmarks (pixels of each crop) of N×3×S×S aligned faces in [0, 1].

    ``points5`` (N×5×2, crop pixels) locates faces that are not in the canonical layout.
    """
    import cv2

    from zoo_faces.image import to_uint8

    size = faces.shape[-1]
    scale = _PREDICTOR_SIZE / size
    found = np.zeros((len(faces), 68, 2), np.float32)
    for row, face in enumerate(faces):
        image = cv2.resize(to_uint8(face), (_PREDICTOR_SIZE, _PREDICTOR_SIZE), interpolation=cv2.INTER_CUBIC)
        five = canonical_landmarks(size) if points5 is None else points5[row]
        box = _box_for(np.asarray(five, np.float64), size) * scale
        found[row] = landmarker.landmarks(image, box[None])[0] / scale  # type: ignore[attr-defined]
    return found


def _pins(size: int) -> np.ndarray:
    line = np.linspace(0.0, size - 1.0, _BORDER_PINS)
    low, high = np.zeros_like(line), np.full_like(line, size - 1.0)
    return np.unique(np.concatenate([np.stack(pair, 1) for pair in
                                     ((line, low), (line, high), (low, line), (high, line))]), axis=0)


def _kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = ((a[:, None] - b[None]) ** 2).sum(-1)
    return np.where(squared > 0, squared * np.log(np.maximum(squared, 1e-12)) / 2, 0.0)  # r² log r


def thin_plate_grid(output_points: np.ndarray, input_points: np.ndarray, size: int) -> np.ndarray:
    """S×S×2 sampling grid (``grid_sample``'s [-1, 1] x, y) whose pixel at each output point reads the
    matching input point; a thin-plate spline in between, the crop border fixed."""
    pins = _pins(size)
    targets = np.concatenate([output_points, pins]) / (size - 1)
    values = np.concatenate([input_points, pins]) / (size - 1)
    count = len(targets)
    system = np.zeros((count + 3, count + 3))
    system[:count, :count] = _kernel(targets, targets) + _SMOOTHING * np.eye(count)
    system[:count, count:] = np.c_[np.ones(count), targets]
    system[count:, :count] = system[:count, count:].T
    rhs = np.zeros((count + 3, 2))
    rhs[:count] = values
    weights = np.linalg.solve(system, rhs)
    ys, xs = np.meshgrid(np.linspace(0, 1, _GRID), np.linspace(0, 1, _GRID), indexing="ij")
    pixels = np.stack([xs.ravel(), ys.ravel()], 1)
    mapped = _kernel(pixels, targets) @ weights[:count] + np.c_[np.ones(len(pixels)), pixels] @ weights[count:]
    coarse = torch.from_numpy((mapped * 2 - 1).reshape(1, _GRID, _GRID, 2)).permute(0, 3, 1, 2)
    return F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=True)[0].permute(1, 2, 0).numpy()


def _limited(own: np.ndarray, wanted: np.ndarray, strength: float) -> np.ndarray:
    """The points ``strength`` of the way from ``own`` to ``wanted``, less when that move exceeds :data:`_MAX_SHIFT`."""
    interocular = np.linalg.norm(wanted[_OUTER_EYE_CORNERS[1]] - wanted[_OUTER_EYE_CORNERS[0]])
    shift = np.linalg.norm(wanted - own, axis=1).mean() / max(interocular, 1e-6)
    return own + (wanted - own) * min(strength, _MAX_SHIFT / max(shift, 1e-9))


def follow_landmarks(images: torch.Tensor, own: np.ndarray, wanted: np.ndarray, strength: float = 1.0) -> torch.Tensor:
    """N×3×S×S images warped so that their inner-face landmarks ``own`` (N×68×2 pixels) move ``strength`` of the
    way to ``wanted``."""
    size = images.shape[-1]
    grids = []
    for mine, theirs in zip(own.astype(np.float64), wanted.astype(np.float64)):
        target = _limited(mine, theirs, strength)
        grids.append(thin_plate_grid(target[_INNER], mine[_INNER], size))
    grid = torch.from_numpy(np.stack(grids)).to(images)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=True)
