"""Temporal stability of a swapped clip: flicker and identity consistency.

Flicker is the mean absolute frame-to-frame change (0–255 levels) inside the face region of the
output minus the same inside the input: what the swap adds to the motion that was already there.
The region comes from the caller (e.g. per-frame detections of the input), the same for every
output compared, so smoothing on and off are measured on identical pixels. Identity consistency is
the judge's cosine similarity of each output frame's face to the source: its mean says how much of
the source's identity arrived, its standard deviation how steady it is from frame to frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FlickerMeter", "identity_consistency"]


@dataclass
class FlickerMeter:
    """Accumulates flicker one (input, output, face box) frame at a time: clips are streamed."""

    _previous: tuple[np.ndarray, np.ndarray] | None = None
    _input_change: float = 0.0
    _output_change: float = 0.0
    _pairs: int = 0

    def add(self, original: np.ndarray, swapped: np.ndarray, box: np.ndarray | None) -> None:
        """One frame; ``box`` (x1, y1, x2, y2) is the face region, None when the frame has no face."""
        if box is None:
            self._previous = None
            return
        height, width = original.shape[:2]
        x1, y1 = max(int(box[0]), 0), max(int(box[1]), 0)
        x2, y2 = min(int(np.ceil(box[2])), width), min(int(np.ceil(box[3])), height)
        if self._previous is not None and x2 > x1 and y2 > y1:
            before_in, before_out = self._previous
            self._input_change += _change(before_in, original, (x1, y1, x2, y2))
            self._output_change += _change(before_out, swapped, (x1, y1, x2, y2))
            self._pairs += 1
        self._previous = (original, swapped)

    @property
    def flicker(self) -> float:
        return (self._output_change - self._input_change) / max(self._pairs, 1)

    @property
    def input_change(self) -> float:
        return self._input_change / max(self._pairs, 1)


def _change(first: np.ndarray, second: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x1, y1, x2, y2 = box
    return float(np.abs(first[y1:y2, x1:x2].astype(np.int16) - second[y1:y2, x1:x2]).mean())


def identity_consistency(similarities: Iterable[float] | Sequence[float]) -> dict[str, float]:
    """Mean and standard deviation of per-frame judge similarities to the source."""
    values = np.asarray(list(similarities), dtype=np.float64)
    if values.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "frames": 0}
    return {"mean": round(float(values.mean()), 4), "std": round(float(values.std()), 4), "frames": int(values.size)}
