"""A component of the plugin's own role."""

from __future__ import annotations

from typing import Annotated

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor


class BoxBlur:
    """k×k box blur (odd k), edges replicated."""

    def __init__(self, size: Annotated[int, Field(ge=1, le=15, multiple_of=1)] = 3):
        if size % 2 == 0:
            raise ValueError("size must be odd")
        self.size = size

    def filter(self, images: Tensor) -> Tensor:
        pad = self.size // 2
        padded = F.pad(images, (pad, pad, pad, pad), mode="replicate")
        return F.avg_pool2d(padded, self.size, stride=1)
