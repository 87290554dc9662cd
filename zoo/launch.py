"""``zoo.run(..., nproc=N)``: start the same run under torchrun (no home-made launcher).

Each rank is ``python -m zoo run RECIPE`` in the torchrun environment; rank 0 writes the run
directory. This process waits, then reads the finished run's summary from its last checkpoint, so
a multi-process run returns the same :class:`~zoo.runner.RunResult` a single process does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.errors import ZooError
from zoo.threads import ThreadSettings, current_settings

if TYPE_CHECKING:
    from zoo.runner import RunResult

__all__ = ["ProcessesFailed", "launch_torchrun", "child_environment"]


class ProcessesFailed(ZooError):
    """A rank of a torchrun job failed; each rank printed its own error, this one carries the exit status."""

    def __init__(self, nproc: int, status: int):
        super().__init__(f"the run with {nproc} processes stopped (exit status {status}); the ranks' errors are above")
        self.exit_code = status


def launch_torchrun(recipe: str, overrides: list[str], run_dir: Path, *, nproc: int, resume: bool,
                    force: bool) -> RunResult:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "zoo", "run", recipe]
    for override in overrides:
        command += ["--set", override]
    command += ["--resume"] * resume + ["--force"] * force
    status = subprocess.call(command, env=child_environment(nproc))
    if status != 0:
        raise ProcessesFailed(nproc, status)
    return _finished(run_dir)


def _finished(run_dir: Path) -> RunResult:
    from zoo.checkpoint import Checkpointer
    from zoo.context import StageSummaries
    from zoo.facts import FactStore
    from zoo.runner import RunResult

    last = Checkpointer(run_dir).latest()
    summaries = FactStore(last.facts).get(StageSummaries) if last is not None else None
    return RunResult(run_dir=run_dir, summaries=list(summaries.rows) if summaries else [])


def child_environment(nproc: int, settings: ThreadSettings | None = None) -> dict[str, str]:
    """Share this process's CPUs among the ranks: each gets cpus // nproc threads unless the user chose.

    torchrun would otherwise hand every rank ``OMP_NUM_THREADS=1`` (or, had we left our own choice in
    the environment, every rank the whole machine's thread count).
    """
    env = dict(os.environ)
    settings = settings or current_settings()
    if settings.threads_source == "auto":
        env["OMP_NUM_THREADS"] = str(max(1, settings.cpus // nproc))
    return env
