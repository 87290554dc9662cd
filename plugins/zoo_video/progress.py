"""Progress of a video swap: a tqdm bar (frames/s, ETA) on a terminal, plain lines in a pipe or log."""

from __future__ import annotations

import sys
import time

__all__ = ["FrameProgress"]

_LINE_EVERY = 5.0  # seconds between plain lines


class FrameProgress:
    """Counts written frames; ``total`` may be an estimate (containers do not always say)."""

    def __init__(self, total: int, label: str, enabled: bool = True) -> None:
        from tqdm import tqdm

        self.total = total
        self.label = label
        self.enabled = enabled
        self.done = 0
        self._started = time.perf_counter()
        self._last_line = self._started
        self.bar = tqdm(total=total or None, desc=label, unit="frame", file=sys.stderr, dynamic_ncols=True,
                        mininterval=0.5, leave=False, disable=not (enabled and sys.stderr.isatty()))

    def update(self, frames: int) -> None:
        self.done += frames
        self.bar.update(frames)
        now = time.perf_counter()
        if self.bar.disable and self.enabled and now - self._last_line >= _LINE_EVERY:
            self._last_line = now
            print(self.line(now), file=sys.stderr, flush=True)

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.perf_counter()) - self._started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.label}: {self.done}/{self.total or '?'} frames, {rate:.1f} frames/s"
        if self.total and rate > 0 and self.done < self.total:
            text += f", ETA {(self.total - self.done) / rate:.0f} s"
        return text

    def close(self) -> None:
        self.bar.close()
