"""Run-directory safety: ``zoo run`` writes only into a directory that is new, empty, or its own.

The first file ``zoo run`` writes into a run directory is the marker ``.zoo-run``; a directory
that holds other files but no marker belongs to the user and is never written to. A marked
directory with checkpoints is continued only with ``--resume``; one without checkpoints (a run
that died before its first checkpoint) is started over only if it holds nothing but the zoo's
own bookkeeping — a finished run whose checkpoints were deleted keeps its model folder.

While a run is going, rank 0 holds an exclusive ``flock`` on ``.zoo-run.lock``, so a second
``zoo run`` on the same directory stops at once instead of interleaving checkpoints. The kernel
drops the lock when the process dies, ``kill -9`` included, so a stale lock never blocks a resume.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zoo.atomic import write_atomic
from zoo.errors import ZooError
from zoo.remedy import NEW_RUN_DIR, OTHER_RUN_DIR

__all__ = ["LOCK", "MARKER", "check_run_dir", "claim_run_dir"]

MARKER = ".zoo-run"
LOCK = ".zoo-run.lock"
#: What a run writes before its first checkpoint: safe to start over if nothing else is there.
_BOOKKEEPING = {MARKER, LOCK, "recipe.yaml", "metrics.jsonl", "grids", "checkpoints"}


def check_run_dir(run_dir: Path, *, resume: bool, has_checkpoint: bool) -> None:
    """Refuse a run directory whose files the run would overwrite (read-only: changes nothing)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ZooError(f"run directory {run_dir} is a file, not a folder: choose {OTHER_RUN_DIR}")
    if not run_dir.is_dir() or (resume and has_checkpoint):
        return
    entries = {entry.name for entry in run_dir.iterdir()}
    if not entries:
        return
    if MARKER not in entries:
        shown = ", ".join(sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
        raise ZooError(f"run directory {run_dir} is not empty ({shown}) and was not made by `zoo run` (no {MARKER}): "
                       f"choose {NEW_RUN_DIR}")
    leftover = sorted(entries - _BOOKKEEPING)
    if not has_checkpoint and leftover:
        raise ZooError(f"run directory {run_dir} holds a run whose checkpoints are gone ({', '.join(leftover)} would be "
                       f"overwritten): choose {OTHER_RUN_DIR}")


@contextmanager
def claim_run_dir(run_dir: Path) -> Iterator[None]:
    """Create the run directory with its marker and hold its lock for the length of the run."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / MARKER).exists():
        write_atomic(run_dir / MARKER, b"made by zoo run: files here may be replaced by `zoo run --resume`\n")
    handle = open(run_dir / LOCK, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ZooError(f"run directory {run_dir} is in use by another `zoo run` (pid {holder}): "
                           f"wait for it to finish, or choose {OTHER_RUN_DIR}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()
