"""What every face detector returns, so alignment and datasets work with any of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

__all__ = ["Detector", "FaceDetections"]


@dataclass(frozen=True)
class FaceDetections:
    """The K faces found in one image, best first, in that image's pixel coordinates.

    ``boxes`` K×4 (x1, y1, x2, y2), ``scores`` K, ``landmarks`` K×5×2 (left eye, right eye,
    nose, left and right mouth corner, as seen in the image), all float32. Boxes are not clipped
    to the frame: a face cut by the border keeps its true extent.
    """

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray

    def __post_init__(self) -> None:
        count = len(self.scores)
        if self.boxes.shape != (count, 4) or self.landmarks.shape != (count, 5, 2):
            raise ValueError(
                f"inconsistent detections: boxes {self.boxes.shape}, scores {self.scores.shape}, "
                f"landmarks {self.landmarks.shape}"
            )

    def __len__(self) -> int:
        return len(self.scores)

    @classmethod
    def empty(cls) -> FaceDetections:
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0, 5, 2), np.float32))

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready: one ``{"box", "score", "landmarks"}`` dict per face, rounded to 0.01 px."""
        return [
            {
                "box": [round(float(v), 2) for v in box],
                "score": round(float(score), 4),
                "landmarks": [[round(float(x), 2), round(float(y), 2)] for x, y in points],
            }
            for box, score, points in zip(self.boxes, self.scores, self.landmarks)
        ]


class Detector(Protocol):
    """The detector role: faces in each of several images (H×W×3 uint8 RGB), best first."""

    def detect(self, images: list[np.ndarray]) -> list[FaceDetections]: ...
