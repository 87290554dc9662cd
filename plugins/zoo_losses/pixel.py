"""Pixel reconstruction (METHODS.md F4): L1 to the label, weighted by how far the label is trusted."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from torch import nn

from zoo_losses.base import LossInputs, LossTerms, at_size_of

__all__ = ["PixelLoss"]


class PixelLoss(nn.Module):
    """L1 pixel reconstruction with one weight per sample group (F4: w1 real label, w2 fake label)."""

    def __init__(
        self,
        fake_template_weight: Annotated[
            float, Field(ge=0, description="w1: fake-template group, whose label is a real photo")
        ] = 1.0,
        fake_label_weight: Annotated[
            float, Field(ge=0, description="w2: fake-label group, whose label another swapper made")
        ] = 0.5,
        triplet_weight: Annotated[float, Field(ge=0, description="Method P triplets")] = 1.0,
        self_weight: Annotated[float, Field(ge=0, description="self-reconstruction group (source = template = label)")] = 1.0,
    ):
        super().__init__()
        self.weights = {
            "fake_template": fake_template_weight,
            "fake_label": fake_label_weight,
            "triplet": triplet_weight,
            "self": self_weight,
        }

    def forward(self, inputs: LossInputs) -> LossTerms:
        """One term per group present with a non-zero weight, keyed by the group's name."""
        return {
            group.group: self.weights[group.group]
            * (group.result - at_size_of(group.label, group.result)).abs().mean()
            for group in inputs.groups
            if self.weights[group.group] > 0
        }
