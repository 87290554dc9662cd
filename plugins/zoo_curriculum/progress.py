"""Training progress on stderr, shared by every stage that trains (``train``, ``train_segmenter``)."""

from __future__ import annotations

import sys

from zoo.context import RunContext

__all__ = ["Progress"]


class Progress:
    """A tqdm bar on a terminal; one plain line per log interval when stderr is a file or a pipe.

    Redirected tqdm output is a wall of carriage returns, unreadable in CI logs and ``zoo run > log``.
    """

    def __init__(self, context: RunContext, steps: int, start: int) -> None:
        from tqdm import tqdm

        self.label = f"stage {context.stage_index} train"
        self.steps = steps
        self.enabled = context.dist.is_main
        self.bar = tqdm(total=steps, initial=start, file=sys.stderr, mininterval=0.5, desc=self.label, unit="step",
                        dynamic_ncols=True, leave=True, disable=not (self.enabled and sys.stderr.isatty()))

    def report(self, step: int, loss: float, rate: float) -> None:
        if not self.bar.disable:
            self.bar.set_postfix(loss=f"{loss:.4f}", img_s=f"{rate:.1f}", refresh=False)
        elif self.enabled:
            print(f"{self.label} step {step}/{self.steps}  loss {loss:.4f}  {rate:.1f} img/s", file=sys.stderr, flush=True)

    def update(self) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
