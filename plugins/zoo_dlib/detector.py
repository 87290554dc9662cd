"""The ``dlib`` detector: dlib's HOG or CNN (MMOD) face detector plus its 68-point predictor,
reduced to the zoo's five points so alignment is the same as with RetinaFace.

Everything it needs installs from PyPI (dlib-bin, face-recognition-models), which is why it is the
zoo's default detector: a fresh machine can swap, detect and prepare without downloading weights.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from zoo_dlib.landmarks import Dlib68Landmarker, check_image, five_from_68
from zoo_dlib.models import load_model
from zoo_faces.detections import FaceDetections

__all__ = ["DlibDetector"]

_CNN_TO_HOG = (0.038, 0.078, 1.085)
"""MMOD boxes sit higher and tighter than the HOG boxes the 68-point predictor was trained on: the HOG
box's centre is this far (× the MMOD box side) right and down, and its side this much larger (medians
over 37 faces both found in the shared wild photos). On the first 30 AFW faces it lowers the CNN's
68-point error (NME) from 0.104 to 0.075 (all 30 found; HOG finds 26 of them, at 0.045)."""


class DlibDetector:
    """dlib face detector (HOG or CNN/MMOD) with 68-point landmarks reduced to the zoo's 5 points."""

    def __init__(
        self,
        model: Annotated[
            Literal["hog", "cnn"],
            Field(description="hog: dlib's HOG+SVM frontal detector (fast, frontal faces); "
                              "cnn: the MMOD CNN (slower on CPU, finds turned and harder faces)"),
        ] = "hog",
        upsample: Annotated[
            int, Field(ge=0, le=3, description="upsample the image this many times (×2 each) before detecting: "
                                               "finds faces down to ~80/2^n px wide, costs ~4^n time")
        ] = 1,
        max_size: Annotated[
            int, Field(gt=0, description="longer side is downscaled to this for detection (landmarks use "
                                         "the full-resolution pixels)")
        ] = 1024,
        score_threshold: Annotated[
            float, Field(description="minimum detection confidence (HOG: SVM margin; CNN: MMOD confidence)")
        ] = 0.0,
        models_dir: Annotated[
            str | None, Field(description="folder with the .dat files; None = the installed face-recognition-models")
        ] = None,
    ) -> None:
        import dlib

        self.model = model
        self.upsample = upsample
        self.max_size = max_size
        self.score_threshold = score_threshold
        self._cnn = load_model("detector_cnn", models_dir) if model == "cnn" else None
        self._hog = dlib.get_frontal_face_detector() if model == "hog" else None
        self.landmarker = Dlib68Landmarker(models_dir=models_dir)

    def __call__(self, images: list[np.ndarray]) -> list[FaceDetections]:
        return self.detect(images)

    def detect(self, images: list[np.ndarray]) -> list[FaceDetections]:
        """Faces in each H×W×3 uint8 RGB image, best first, in that image's pixel coordinates."""
        for index, image in enumerate(images):
            check_image(index, image)  # every image checked before any work
        return [self.detect_68(image)[0] for image in images]

    def detect_68(self, image: np.ndarray) -> tuple[FaceDetections, np.ndarray]:
        """One image's faces and their full K×68×2 landmarks (for region masks and pose)."""
        check_image(0, image)
        image = np.ascontiguousarray(image)
        boxes, scores = self._boxes(image)
        points = self.landmarker.landmarks(image, boxes)
        return FaceDetections(boxes, scores, five_from_68(points)), points

    def _boxes(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (K×4, full-resolution pixels) and scores, best first."""
        import cv2

        scale = min(1.0, self.max_size / max(image.shape[:2]))
        small = image
        if scale < 1.0:
            size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        if self._cnn is not None:
            found = self._cnn(small, self.upsample)
            rectangles = [d.rect for d in found]
            scores = [d.confidence for d in found]
        else:
            rectangles, scores, _ = self._hog.run(small, self.upsample, self.score_threshold)
        boxes = np.array([[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rectangles],
                         dtype=np.float32).reshape(-1, 4) / scale
        if self._cnn is not None:
            boxes = _hog_like(boxes)
        scores = np.asarray(scores, dtype=np.float32).reshape(-1)
        keep = scores >= self.score_threshold
        order = np.argsort(-scores[keep], kind="stable")
        return boxes[keep][order], scores[keep][order]


def _hog_like(boxes: np.ndarray) -> np.ndarray:
    """MMOD boxes moved and scaled to where dlib's HOG detector puts its box on the same face."""
    shift_x, shift_y, scale = _CNN_TO_HOG
    sides = ((boxes[:, 2] - boxes[:, 0]) + (boxes[:, 3] - boxes[:, 1])) / 2.0
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2.0 + np.stack([shift_x * sides, shift_y * sides], axis=1)
    halves = (boxes[:, 2:] - boxes[:, :2]) * scale / 2.0
    return np.concatenate([centres - halves, centres + halves], axis=1).astype(np.float32)
