"""``zoo run --nproc N``: start the same command under torchrun (no home-made launcher)."""

from __future__ import annotations

import os
import subprocess
import sys

from zoo.threads import ThreadSettings, current_settings

__all__ = ["launch_torchrun"]


def launch_torchrun(recipe: str, overrides: list[str], *, nproc: int, resume: bool, force: bool,
                    as_json: bool = False) -> int:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "zoo", "run", recipe]
    for override in overrides:
        command += ["--set", override]
    command += ["--resume"] * resume + ["--force"] * force + ["--json"] * as_json
    return subprocess.call(command, env=child_environment(nproc))


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
