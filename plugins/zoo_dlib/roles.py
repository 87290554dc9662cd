"""The landmarker role: 68 landmarks (iBUG 300-W layout) for face boxes already found in a photo.

Region masks (jaw line, brows, eyes, mouth), head pose and expression distances consume it; any
detector's boxes can be passed, so a landmarker does not have to come with a detector.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

__all__ = ["Landmarker"]


class Landmarker(Protocol):
    def landmarks(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """One H×W×3 uint8 RGB image and K×4 boxes (x1, y1, x2, y2) → K×68×2 float32 pixel coordinates."""
        ...
