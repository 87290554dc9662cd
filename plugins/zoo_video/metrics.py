"""Temporal stability of a swapped clip: flicker and identity consistency.

Flicker is the mean absolute frame-to-frame change (0–255 levels) inside the face of the output
minus the same inside the input: what the swap adds to the change that was already there. Both are
measured on aligned crops taken at the same landmarks for input and output (the true ones for a
generated clip, per-frame detections for a real one), so camera and head motion are compensated and
only the swapped face trembling against the head counts; the region is the landmark hull. Identity
consistency is the judge's cosine similarity of each output frame's face to the source: its mean
says how much of the source's identity arrived, its standard deviation how steady it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from zoo_faces.align import align_face, canonical_landmarks
from zoo_faces.mask import face_mask

__all__ = ["FlickerMeter", "identity_consistency"]

_CROP = 112


@lru_cache(maxsize=1)
def _face_region() -> np.ndarray:
    return face_mask(_CROP, canonical_landmarks(_CROP), kind="hull", feather=0.0) > 0.5


@dataclass
class FlickerMeter:
    """Accumulates flicker one (input, output, landmarks) frame at a time: clips are streamed."""

    _previous: tuple[np.ndarray, np.ndarray] | None = None
    _changes: list[tuple[float, float]] = field(default_factory=list)

    def add(self, original: np.ndarray, swapped: np.ndarray, landmarks: np.ndarray | None) -> None:
        """One frame; ``landmarks`` (5×2) place the face, None when the frame has no face."""
        if landmarks is None:
            self._previous = None
            return
        crops = (align_face(original, landmarks, _CROP).crop, align_face(swapped, landmarks, _CROP).crop)
        if self._previous is not None:
            region = _face_region()
            self._changes.append(tuple(  # type: ignore[arg-type]
                float(np.abs(now.astype(np.int16) - before)[region].mean()) for now, before in zip(crops, self._previous)))
        self._previous = crops

    @property
    def input_change(self) -> float:
        return float(np.mean([change[0] for change in self._changes])) if self._changes else 0.0

    @property
    def output_change(self) -> float:
        return float(np.mean([change[1] for change in self._changes])) if self._changes else 0.0

    @property
    def flicker(self) -> float:
        return self.output_change - self.input_change


def identity_consistency(similarities: Iterable[float]) -> dict[str, float]:
    """Mean and standard deviation of per-frame judge similarities to the source."""
    values = np.asarray(list(similarities), dtype=np.float64)
    if values.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "frames": 0}
    return {"mean": round(float(values.mean()), 4), "std": round(float(values.std()), 4), "frames": int(values.size)}
