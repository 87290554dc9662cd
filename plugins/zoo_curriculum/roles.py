"""The generator role: what the curriculum stages need from a model they train, grow and export.

``grow`` (P3/P7) appends a resolution-update layer keeping old weights exactly; ``train`` with
``trainable: new`` trains ``new_parameter_names()`` only (P5), fading it in with ``set_fade``;
``export`` rebuilds the architecture from ``build_args()``; ``evaluate`` and ``build_groups`` with
``swapper: self`` call ``swap``. Inputs and outputs are N×3×H×W RGB in [0, 1] on aligned faces.

Optional, not required of a plugin's generator (no stage calls it): ``identity_of(faces) -> 1×D``,
the normalised mean identity embedding of several photos, with ``swap(source, template, identity)``
accepting it. ``zoo swap -s a.jpg -s b.jpg`` needs both and refuses several sources without them.
"""

from __future__ import annotations

from typing import Any, Protocol

from torch import Tensor

__all__ = ["Generator"]


class Generator(Protocol):
    output_resolution: int  # R: the side of what forward/swap return
    input_resolution: int  # the side to align inputs at (no more detail is seen beyond it)
    fade_alpha: Tensor  # 0-d blend weight of the newest update layer

    def forward(self, source: Tensor, template: Tensor) -> Tensor:
        """The swap with gradients: N×3×R×R in [0, 1]."""
        ...

    def swap(self, source: Tensor, template: Tensor) -> Tensor:
        """The same without gradients, in eval mode (the shared swapper interface)."""
        ...

    def grow(self, size: int | None = None, fade_in: bool = True) -> list[str]:
        """Append a resolution-update layer; return its parameter names."""
        ...

    def set_fade(self, alpha: float) -> None: ...

    def new_parameter_names(self) -> list[str]: ...

    def trainable_parameter_names(self) -> list[str]: ...

    def build_args(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this exact architecture (growth included)."""
        ...
