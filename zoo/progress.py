"""Progress for every wait longer than a couple of seconds: a tqdm bar on a terminal, plain lines elsewhere.

Redirected tqdm output is a wall of carriage returns, unreadable in CI logs and ``zoo run > log``,
so when stderr is not a terminal the same progress is printed as ordinary lines: one whenever
:meth:`Progress.report` is called (the train stage's log interval), and from :meth:`Progress.update`
at most one per ``line_every`` seconds plus the last (``line_every=None``: only from ``report``).
Everything goes to stderr, so stdout stays the command's result (JSON, a table, a path).
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any

__all__ = ["Progress", "status"]


def _format(fields: dict[str, Any]) -> str:
    return "  ".join(f"{key} {value}" for key, value in fields.items())


class Progress:
    """One counted wait (photos, faces, pairs, steps, bytes) with a label such as ``"swap"``.

    ``enabled=False`` (another process's rank, ``--no-progress``) prints nothing at all.
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str = "it",
        initial: int = 0,
        enabled: bool = True,
        line_every: float | None = 5.0,
        unit_scale: bool = False,
        leave: bool = True,
        rate: bool = False,
    ) -> None:
        from tqdm import tqdm

        self.label, self.total, self.unit = label, total, unit
        setting = os.environ.get("ZOO_PROGRESS")  # `zoo -q` / `zoo -v`
        enabled = enabled and setting != "quiet"
        if setting == "verbose" and line_every is not None:
            line_every = min(line_every, 1.0)
        self.enabled = enabled
        self.done = initial
        self.line_every = line_every
        self.rate = rate  # plain lines also say units/s and the ETA (tqdm's bar always does)
        self._started = self._last_line = time.monotonic()
        self._initial = initial
        self._postfix: dict[str, Any] = {}
        self.on_terminal = enabled and sys.stderr.isatty()
        self.bar = tqdm(total=total, initial=initial, file=sys.stderr, mininterval=0.5, desc=label, unit=unit,
                        unit_scale=unit_scale, dynamic_ncols=True, leave=leave, disable=not self.on_terminal)

    def update(self, count: int = 1, **postfix: Any) -> None:
        """``count`` more done; ``postfix`` fields (e.g. ``faces=3``) are shown beside the count."""
        self.done += count
        self._postfix.update(postfix)
        if self.on_terminal:
            if postfix:
                self.bar.set_postfix({k: str(v) for k, v in self._postfix.items()}, refresh=False)
            self.bar.update(count)
            return
        if not self.enabled or self.line_every is None:
            return
        finished = self.total is not None and self.done >= self.total
        if finished or time.monotonic() - self._last_line >= self.line_every:
            self._line()

    def report(self, **fields: Any) -> None:
        """Show ``fields`` now: beside the bar on a terminal, as one line otherwise."""
        self._postfix.update(fields)
        if self.on_terminal:
            self.bar.set_postfix({k: str(v) for k, v in self._postfix.items()}, refresh=False)
        elif self.enabled:
            self._line()

    def _line(self) -> None:
        self._last_line = now = time.monotonic()
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        units = _plural(self.unit)
        text = f"{self.label}: {count} {units}"
        if self.rate:
            per_second = (self.done - self._initial) / max(now - self._started, 1e-9)
            text += f", {per_second:.1f} {units}/s"
            if self.total and per_second > 0 and self.done < self.total:
                text += f", ETA {(self.total - self.done) / per_second:.0f} s"
        extra = _format(self._postfix)
        print(text + (f"  {extra}" if extra else ""), file=sys.stderr, flush=True)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()  # before any error message, so the error is the last line printed


def status(message: str, *, enabled: bool = True) -> None:
    """One line before a wait that cannot be counted (importing torch and a model's code)."""
    if enabled and os.environ.get("ZOO_PROGRESS") != "quiet":
        print(message, file=sys.stderr, flush=True)


def _plural(unit: str) -> str:
    """``frame`` → ``frames`` for the plain lines; symbols (``B``, ``it``) stay as they are."""
    return unit if len(unit) <= 2 else f"{unit}s"
