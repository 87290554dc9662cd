"""``metrics.jsonl``: one JSON object per logged step or event, truncated back on resume.

Truncating to the line count recorded in the checkpoint keeps the log identical to an
uninterrupted run's: steps redone after a crash are not logged twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from zoo.atomic import write_atomic

__all__ = ["MetricsLog"]


class MetricsLog:
    def __init__(self, path: Path, enabled: bool = True):
        self.path = path
        self.enabled = enabled
        self.lines = 0
        if enabled and path.is_file():
            with open(path, "rb") as handle:
                self.lines = sum(1 for _ in handle)

    def truncate(self, lines: int) -> None:
        """Keep the first ``lines`` lines (what the checkpoint had seen)."""
        if not self.enabled:
            return
        if not self.path.is_file():
            self.lines = 0
            return
        with open(self.path, "rb") as handle:
            kept = handle.readlines()[:lines]
        write_atomic(self.path, b"".join(kept))  # a kill while cutting back never leaves the log shorter still
        self.lines = len(kept)

    def log(self, **record: Any) -> None:
        if not self.enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record, default=float) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.lines += 1
