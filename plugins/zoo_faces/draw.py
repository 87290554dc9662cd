"""Pictures of detections, for people to check a detector with their own eyes."""

from __future__ import annotations

import cv2
import numpy as np

from zoo_faces.detections import FaceDetections

__all__ = ["LANDMARK_COLOURS", "draw_detections"]

LANDMARK_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0),  # left eye: red
    (0, 90, 255),  # right eye: blue
    (0, 200, 0),  # nose: green
    (255, 0, 255),  # left mouth corner: magenta
    (255, 200, 0),  # right mouth corner: amber
)
"""RGB colour per landmark, in the order left eye, right eye, nose, left and right mouth corner."""


def draw_detections(image: np.ndarray, detections: FaceDetections) -> np.ndarray:
    """A copy of the RGB ``image`` with numbered boxes, scores and colour-coded landmarks."""
    canvas = image.copy()
    scale = max(image.shape[:2]) / 1000.0
    thickness = max(1, round(2 * scale))
    radius = max(2, round(3 * scale))
    font_scale = max(0.4, 0.6 * scale)
    for number, (box, score, points) in enumerate(zip(detections.boxes, detections.scores, detections.landmarks)):
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 255, 0), thickness, cv2.LINE_AA)
        label = f"{number} {score:.2f}"
        cv2.putText(canvas, label, (x1, max(y1 - 4, 12)), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0),
                    thickness + 2, cv2.LINE_AA)
        cv2.putText(canvas, label, (x1, max(y1 - 4, 12)), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 255, 0),
                    thickness, cv2.LINE_AA)
        for (x, y), colour in zip(points, LANDMARK_COLOURS):
            cv2.circle(canvas, (int(round(x)), int(round(y))), radius, colour, -1, cv2.LINE_AA)
    return canvas
