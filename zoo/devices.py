"""Where a network lives, so inputs made on the CPU (images, crops) can follow it there and back.

``--device`` moves each network once; the code around it keeps making tensors on the CPU, and every
call site moves its batch to :func:`module_device` and the result back. Parameter-less wrappers
(the dlib components, which run in dlib on the CPU) answer ``cpu``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["module_device"]


def module_device(module: Any) -> Any:
    """The device of ``module``'s first parameter (a ``torch.device``), or ``"cpu"`` when it has none."""
    parameters = getattr(module, "parameters", None)
    first = next(iter(parameters()), None) if callable(parameters) else None
    return first.device if first is not None else "cpu"
