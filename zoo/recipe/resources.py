"""Plan-time checks of what a recipe asks of the machine: the device, the memory, the run directory.

A model part is built on PyTorch's ``meta`` device — every tensor has its shape and no storage —
so a generator of 10^11 parameters is measured in milliseconds instead of failing an allocation
an hour into a run; the same build surfaces argument combinations a component refuses
(``resolution: 33``). Sample sets are sized from the stages' plans.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

__all__ = ["device_problem", "format_bytes", "machine_memory", "part_bytes", "resolved_device", "sample_bytes"]

#: Adam keeps two moments per trainable parameter, plus its gradient: four copies in all.
TRAINING_COPIES = 4
#: A sample is three images (source, template, label) of three channels, float32 while built.
SAMPLE_VALUES = 3 * 3
FLOAT_BYTES = 4


def format_bytes(count: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{count:.0f} bytes"


def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            return int(text)
    return None


def machine_memory(device: str) -> tuple[int, str]:
    """Bytes the run can use and whose they are: the GPU's for cuda, else this machine's RAM (cgroup-limited)."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        index = int(device.partition(":")[2] or 0)
        return torch.cuda.get_device_properties(index).total_memory, f"{device}'s"
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = _cgroup_limit()
    return (min(total, limit) if limit else total), "this machine's"


def resolved_device(device: str) -> str:
    """What ``auto`` becomes when the run starts (see :func:`zoo.distributed.pick_device`)."""
    import torch

    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device


def device_problem(device: str) -> str | None:
    """Why ``device`` (cpu, cuda, cuda:N, mps) cannot run here, or None."""
    import torch

    kind, _, index = device.partition(":")
    if kind not in ("cpu", "cuda", "mps") or (index and not (kind == "cuda" and index.isdigit())):
        return f"{device}: not a device (use cpu, cuda, cuda:N or mps)"
    if kind == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            return f"{device}: this machine has no CUDA device torch can use; use cpu"
        if index and int(index) >= count:
            return f"{device} does not exist: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}"
    if kind == "mps" and not torch.backends.mps.is_available():
        return "mps: this machine has no Apple GPU torch can use; use cpu"
    return None


def part_bytes(kind: str, name: str, args: dict[str, Any]) -> tuple[int, int]:
    """(parameters, bytes to train them) of a component built on the meta device.

    Pretrained ``weights`` are left out of this build (nothing is read or downloaded at plan
    time); a frozen part counts once, a trainable one :data:`TRAINING_COPIES` times.
    """
    import torch
    from torch import nn

    from zoo.modelfolder import strip_weights
    from zoo.refs import plain
    from zoo.registry import default_registry

    # weights are left out on purpose: a component's "no weights" warning is not about this recipe
    with torch.device("meta"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = default_registry().build(kind, name, **strip_weights(kind, name, plain(args), name, {}))
    if not isinstance(module, nn.Module):
        return 0, 0
    count = needed = 0
    for parameter in module.parameters():
        size = parameter.numel() * parameter.element_size()
        count += parameter.numel()
        needed += size * (TRAINING_COPIES if parameter.requires_grad else 1)
    needed += sum(buffer.numel() * buffer.element_size() for buffer in module.buffers())
    return count, needed


def sample_bytes(quantity: int, resolution: int) -> int:
    return quantity * SAMPLE_VALUES * resolution * resolution * FLOAT_BYTES
