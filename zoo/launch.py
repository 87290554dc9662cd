"""``zoo run --nproc N``: start the same command under torchrun (no home-made launcher)."""

from __future__ import annotations

import subprocess
import sys

__all__ = ["launch_torchrun"]


def launch_torchrun(recipe: str, overrides: list[str], *, nproc: int, resume: bool, force: bool) -> int:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "zoo", "run", recipe]
    for override in overrides:
        command += ["-o", override]
    command += ["--resume"] * resume + ["--force"] * force
    return subprocess.call(command)
