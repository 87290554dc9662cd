"""CPU thread settings, chosen before torch starts its OpenMP pool.

OpenMP's default is to spin-wait long between parallel regions. Alone on a machine that is
harmless; beside any other busy process (a second training, the other DDP rank, a ``zoo swap``
while training, a test suite's subprocesses) the spinning threads steal the cores the real work
needs, and a run becomes many times slower instead of the fair 2x. Fully passive waiting fixes
sharing but costs a run alone ~40 % (every parallel region pays a wake-up), so the zoo asks for a
short spin, then sleep (``GOMP_SPINCOUNT``; measured by ``bench/cpu_sharing.py``), and sizes the intra-op pool from the CPUs this process may actually use (affinity mask, cgroup quota),
shared among the processes ``torchrun`` starts on this machine.

The settings go into the environment, which libgomp reads once when torch loads it, so this must
run before ``import torch``: ``import zoo`` does it (the CLI, the Python API and every torchrun
child import ``zoo`` first). The user's own ``OMP_NUM_THREADS`` / ``OMP_WAIT_POLICY`` always win,
and when torch was imported before ``zoo`` nothing is changed (its pool already exists and may
have been sized by ``torch.set_num_threads``).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["ThreadSettings", "available_cpus", "configure_threads", "current_settings"]

#: Spins before an idle OpenMP thread sleeps: long enough to bridge the gaps between the parallel
#: regions of one training step (so a run alone loses nothing), far shorter than a scheduler slice
#: (so beside another busy process the threads give the cores back). libgomp's default is 300000.
SPIN_COUNT = "2000"

_CGROUP_V2_MAX = Path("/sys/fs/cgroup/cpu.max")
_CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
_CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")


@dataclass(frozen=True)
class ThreadSettings:
    """What the zoo chose (or found) for this process, as ``zoo run`` reports it."""

    threads: int
    threads_source: str  # "auto", "OMP_NUM_THREADS", or "torch imported first"
    wait_policy: str  # "SPIN n THEN SLEEP", the user's OMP_WAIT_POLICY, or "unknown"
    cpus: int
    local_processes: int

    def describe(self) -> str:
        """One phrase for a header line, e.g. ``2 threads (auto: 2 CPUs, 1 process), OpenMP waiting spin 2000 then sleep``."""
        if self.threads_source == "auto":
            origin = f"auto: {self.cpus} CPUs / {self.local_processes} local process{'es' * (self.local_processes > 1)}"
        else:
            origin = self.threads_source
        return f"{self.threads} thread{'s' * (self.threads != 1)} ({origin}), OpenMP waiting {self.wait_policy.lower()}"

    def as_dict(self) -> dict[str, int | str]:
        return {
            "threads": self.threads,
            "threads_source": self.threads_source,
            "omp_wait_policy": self.wait_policy,
            "cpus": self.cpus,
            "local_processes": self.local_processes,
        }


def _cgroup_cpus() -> float | None:
    """CPUs allowed by a cgroup CPU quota (containers, CI runners), or None when unlimited/unknown."""
    try:
        if _CGROUP_V2_MAX.is_file():
            quota, _, period = _CGROUP_V2_MAX.read_text().partition(" ")
            if quota.strip() != "max":
                return int(quota) / int(period)
        elif _CGROUP_V1_QUOTA.is_file():
            quota = int(_CGROUP_V1_QUOTA.read_text())
            if quota > 0:
                return quota / int(_CGROUP_V1_PERIOD.read_text())
    except (OSError, ValueError):
        return None
    return None


def available_cpus() -> int:
    """CPUs this process may run on: the affinity mask, capped by a cgroup quota (rounded up)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    quota = _cgroup_cpus()
    if quota is not None:
        count = min(count, max(1, math.ceil(quota)))
    return max(1, count)


def _local_processes(environ: MutableMapping[str, str]) -> int:
    try:
        return max(1, int(environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


_settings: ThreadSettings | None = None


def configure_threads(environ: MutableMapping[str, str] | None = None) -> ThreadSettings:
    """Set a short OpenMP spin before sleeping and the intra-op thread count unless the user chose them.

    Idempotent; returns what is in force. Called by ``import zoo``.
    """
    global _settings
    env = os.environ if environ is None else environ
    cpus = available_cpus()
    processes = _local_processes(env)
    if "torch" in sys.modules and environ is None:
        import torch

        settings = ThreadSettings(torch.get_num_threads(), "torch imported first",
                                  env.get("OMP_WAIT_POLICY", "unknown"), cpus, processes)
    else:
        if "OMP_NUM_THREADS" in env:
            source = "OMP_NUM_THREADS"
        else:
            source = "auto"
            env["OMP_NUM_THREADS"] = str(max(1, cpus // processes))
        if "OMP_WAIT_POLICY" not in env:
            env.setdefault("GOMP_SPINCOUNT", SPIN_COUNT)
        threads = _parse_threads(env["OMP_NUM_THREADS"], cpus)
        settings = ThreadSettings(threads, source, _wait_policy(env), cpus, processes)
    if environ is None:
        _settings = settings
    return settings


def _wait_policy(env: MutableMapping[str, str]) -> str:
    if "OMP_WAIT_POLICY" in env:
        return env["OMP_WAIT_POLICY"].upper()
    return f"SPIN {env['GOMP_SPINCOUNT']} THEN SLEEP"


def _parse_threads(value: str, fallback: int) -> int:
    """OMP_NUM_THREADS may be a list ("4,2" for nested levels); the first level is the pool size."""
    try:
        return max(1, int(value.split(",")[0]))
    except ValueError:
        return fallback


def current_settings() -> ThreadSettings:
    """The settings in force: what ``import zoo`` chose, unless ``torch.set_num_threads`` changed it since."""
    settings = _settings if _settings is not None else configure_threads()
    if "torch" in sys.modules:
        actual = sys.modules["torch"].get_num_threads()
        if actual != settings.threads:
            return replace(settings, threads=actual, threads_source="torch.set_num_threads")
    return settings
