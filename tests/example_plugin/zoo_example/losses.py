"""A third-party loss: total variation of the swap results (smoothness prior)."""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn


class TotalVariation(nn.Module):
    """Total-variation smoothness penalty on every group's result."""

    def __init__(self, power: Annotated[int, Field(ge=1, le=2)] = 1):
        super().__init__()
        self.power = power

    def forward(self, inputs: Any) -> dict[str, torch.Tensor]:
        total = torch.zeros(())
        for group in inputs.groups:
            image = group.result
            dx = (image[..., :, 1:] - image[..., :, :-1]).abs() ** self.power
            dy = (image[..., 1:, :] - image[..., :-1, :]).abs() ** self.power
            total = total + dx.mean() + dy.mean()
        return {"example_tv": total / max(1, len(inputs.groups))}
