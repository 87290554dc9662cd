"""The ``dlib68`` landmarker: dlib's 68-point shape predictor (iBUG 300-W layout) for given face boxes.

It is what region masks (jaw line, brows, eyes, mouth), head pose and expression distances are
built from, and what the ``dlib`` detector's five points are derived from, so every one of those
agrees on where a face's features are.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from zoo_dlib.models import load_model

__all__ = ["Dlib68Landmarker", "check_image", "five_from_68"]

_LEFT_EYE = slice(36, 42)  # the eye on the image's left (the person's right), 0-based
_RIGHT_EYE = slice(42, 48)
_NOSE_TIP = 30
_MOUTH_LEFT, _MOUTH_RIGHT = 48, 54


def five_from_68(points: np.ndarray) -> np.ndarray:
    """K×68×2 → the zoo's K×5×2 (eye centres, nose tip, mouth corners), as RetinaFace orders them."""
    points = np.asarray(points, dtype=np.float32)
    return np.stack([
        points[:, _LEFT_EYE].mean(1),
        points[:, _RIGHT_EYE].mean(1),
        points[:, _NOSE_TIP],
        points[:, _MOUTH_LEFT],
        points[:, _MOUTH_RIGHT],
    ], axis=1).astype(np.float32)


def check_image(index: int, image: np.ndarray) -> None:
    """The one image contract of the zoo's detectors: H×W×3 uint8 RGB."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        described = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"image {index}: expected an H×W×3 uint8 RGB array, got {described}")


class Dlib68Landmarker:
    """68-point landmarker (dlib shape predictor, iBUG 300-W points) for face boxes in a photo.

    The predictor was trained on boxes of dlib's own detector (tight: brows to chin); boxes of
    another detector work, less precisely, the larger they are around the face.
    """

    def __init__(
        self,
        models_dir: Annotated[
            str | None, Field(description="folder with shape_predictor_68_face_landmarks.dat; "
                                          "None = the installed face-recognition-models")
        ] = None,
    ) -> None:
        self._predictor = load_model("landmarks_68", models_dir)

    def landmarks(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """K×68×2 float32 pixel coordinates for the K boxes (x1, y1, x2, y2) of one H×W×3 uint8 RGB image."""
        import dlib

        check_image(0, image)
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        found = np.zeros((len(boxes), 68, 2), np.float32)
        image = np.ascontiguousarray(image)
        for row, (x1, y1, x2, y2) in enumerate(boxes):
            rectangle = dlib.rectangle(round(x1), round(y1), round(x2) - 1, round(y2) - 1)  # dlib: inclusive
            shape = self._predictor(image, rectangle)
            found[row] = [(part.x, part.y) for part in shape.parts()]
        return found

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        return self.landmarks(image, boxes)
