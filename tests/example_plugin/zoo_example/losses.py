"""A third-party loss: total variation of the swap results, optionally after a filter it refers to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import torch
from pydantic import Field
from torch import nn

from zoo.sdk import Ref, as_ref

if TYPE_CHECKING:
    from zoo_losses.base import LossInputs  # what the train stage passes every loss

FilterRef = Ref("example_filter", special=("none",))


class TotalVariation(nn.Module):
    """Total-variation smoothness penalty on every group's result."""

    def __init__(
        self,
        power: Annotated[int, Field(ge=1, le=2)] = 1,
        prefilter: Annotated[FilterRef, Field(description="a registered example_filter, or 'none'")] = "none",
    ):
        super().__init__()
        self.power = power
        ref = as_ref(FilterRef, prefilter)
        self.prefilter = None if ref.kind is None else ref.build()

    def forward(self, inputs: LossInputs) -> dict[str, torch.Tensor]:
        total = torch.zeros(())
        for group in inputs.groups:
            image = group.result if self.prefilter is None else self.prefilter.filter(group.result)
            dx = (image[..., :, 1:] - image[..., :, :-1]).abs() ** self.power
            dy = (image[..., 1:, :] - image[..., :-1, :]).abs() ** self.power
            total = total + dx.mean() + dy.mean()
        return {"example_tv": total / max(1, len(inputs.groups))}
