"""One-Euro smoothing of the five landmarks, so the aligned crop does not shake between frames.

Detections (and optical-flow updates) wobble by a pixel or two from frame to frame; the
generator turns that wobble into a visibly trembling face. A One-Euro filter (Casiez, Roussel and
Vogel, CHI 2012) is a low-pass filter whose cutoff rises with speed: a still face is smoothed
hard, a moving one is followed without lag. Speed is measured in face sizes per second, so the
same settings work for a face 60 px wide and one 600 px wide; time comes from the frames'
timestamps, so variable-frame-rate clips are filtered correctly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["OneEuroFilter", "SmoothingSettings", "face_scale"]


@dataclass(frozen=True)
class SmoothingSettings:
    """``min_cutoff`` (Hz) sets smoothing at rest; ``beta`` how fast the cutoff rises with speed.

    The defaults cut 1 px landmark noise on a still 100 px face to a third and trail a face moving
    4 px a frame (at 25 fps) by under 2 px (``tests/test_video_tracking.py``).
    """

    min_cutoff: float = 0.5
    beta: float = 2.0
    derivative_cutoff: float = 1.0


def face_scale(landmarks: np.ndarray) -> float:
    """Root-mean-square distance of the five landmarks from their centre (pixels)."""
    centred = landmarks - landmarks.mean(axis=0)
    return max(float(np.sqrt((centred**2).sum(axis=1).mean())), 1e-3)


def _alpha(cutoff: np.ndarray | float, elapsed: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / elapsed)


class OneEuroFilter:
    """Filters one face's 5×2 landmarks over time; each point gets its own speed-driven cutoff."""

    def __init__(self, settings: SmoothingSettings | None = None) -> None:
        self.settings = settings or SmoothingSettings()
        self._value: np.ndarray | None = None
        self._speed = np.zeros((5, 2))
        self._time = 0.0

    def __call__(self, landmarks: np.ndarray, time: float) -> np.ndarray:
        points = np.asarray(landmarks, dtype=np.float64)
        if self._value is None or time <= self._time:
            self._value, self._time = points.copy(), time
            return points.copy()
        elapsed = time - self._time
        settings = self.settings
        speed = (points - self._value) / elapsed
        self._speed += _alpha(settings.derivative_cutoff, elapsed) * (speed - self._speed)
        relative_speed = np.linalg.norm(self._speed, axis=1, keepdims=True) / face_scale(points)
        cutoff = settings.min_cutoff + settings.beta * relative_speed
        self._value = self._value + _alpha(cutoff, elapsed) * (points - self._value)
        self._time = time
        return self._value.copy()

    def reset(self) -> None:
        self._value = None
        self._speed = np.zeros((5, 2))
