"""Process-group setup for ``torchrun``: gloo on CPU, nccl on GPU; rank 0 writes."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["DistInfo", "init_distributed", "pick_device", "barrier", "shutdown_distributed", "mean_across"]


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def pick_device(requested: str, info: DistInfo) -> torch.device:
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and info.enabled:
        requested = f"cuda:{info.local_rank}"
    return torch.device(requested)


def init_distributed(device_request: str) -> DistInfo:
    """Join the process group torchrun describes in the environment; a no-op for one process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        device = pick_device(device_request, info)
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return info


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def shutdown_distributed(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def mean_across(info: DistInfo, values: dict[str, float]) -> dict[str, float]:
    """Average logged numbers over processes, so a 2-process run reports the global batch's loss.

    Every rank must call this with the same keys in the same order (all reach the same log step).
    """
    if not info.enabled or not values:
        return values
    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    stacked = torch.tensor(list(values.values()), dtype=torch.float64, device=device)
    dist.all_reduce(stacked)
    return dict(zip(values, (stacked / info.world_size).tolist()))
