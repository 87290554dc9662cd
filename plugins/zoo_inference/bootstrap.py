"""Bootstrap confidence intervals for per-pair metrics: how much a number would move with other pairs.

Evaluations use tens of pairs, so a difference of a few points between a model and a baseline can
be noise; every mean is reported with its 95 % percentile-bootstrap interval over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate", "bootstrap"]

_RESAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    """A mean over pairs and its 95 % interval; ``count`` pairs had a value (NaN = not measurable)."""

    mean: float | None
    low: float | None
    high: float | None
    count: int

    def format(self, digits: int = 3) -> str:
        if self.mean is None:
            return "-"
        if self.low is None or self.high is None:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"

    def to_json(self) -> dict[str, float | int | None]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "count": self.count}


def bootstrap(values: np.ndarray, seed: int = 0, resamples: int = _RESAMPLES) -> Estimate:
    """Mean of the finite values and the 2.5/97.5 percentiles of the mean over pair resamples."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return Estimate(None, None, None, 0)
    mean = float(finite.mean())
    if finite.size == 1:
        return Estimate(mean, None, None, 1)
    rng = np.random.default_rng(seed)
    means = finite[rng.integers(0, finite.size, size=(resamples, finite.size))].mean(1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(mean, float(low), float(high), int(finite.size))
