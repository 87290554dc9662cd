"""``occlusion_gated_pixel``: Method F's pixel loss that does not teach the generator to paint occluders.

In the fake-template group (F1) the template FT is the real label RL re-swapped by an existing
swapper, which paints over whatever covered RL's face; an ungated L1 to RL then asks the generator
to re-create a hand or glasses it cannot know from FT. Here a frozen occlusion segmenter looks at
each label: pixels of the face region it calls covered get no weight; the rest of the face and
everything outside it (kept from the template) are weighted as by the ``pixel`` loss.
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch import Tensor, nn
from zoo_losses.base import LossInputs, LossTerms, at_size_of

__all__ = ["OcclusionGatedPixel"]


class OcclusionGatedPixel(nn.Module):
    """L1 to the label except where a frozen segmenter sees the label's face covered (issue 13 item 5)."""

    def __init__(
        self,
        segmenter: Annotated[str, Field(min_length=1, description="segmenter model folder or Hub repo (recipes/occlusion_mask.yaml)")],
        fake_template_weight: Annotated[float, Field(ge=0, description="w1: fake-template group (real label)")] = 1.0,
        fake_label_weight: Annotated[float, Field(ge=0, description="w2: fake-label group")] = 0.5,
        triplet_weight: Annotated[float, Field(ge=0, description="Method P triplets")] = 1.0,
        self_weight: Annotated[float, Field(ge=0, description="self-reconstruction group")] = 1.0,
    ):
        super().__init__()
        from zoo_masks.loading import load_segmenter

        self.segmenter = load_segmenter(segmenter).requires_grad_(False)
        self.weights = {"fake_template": fake_template_weight, "fake_label": fake_label_weight, "triplet": triplet_weight,
                        "self": self_weight}
        self._regions: dict[int, Tensor] = {}

    def train(self, mode: bool = True) -> OcclusionGatedPixel:
        super().train(mode)
        self.segmenter.eval()  # frozen: its batch-norm statistics never move
        return self

    def gate(self, labels: Tensor) -> Tensor:
        """N×1×H×W weights: 0 where the label's face is covered, 1 elsewhere (soft at the edges)."""
        from zoo_masks.dataset import face_region

        size = labels.shape[-1]
        if size not in self._regions:
            self._regions[size] = torch.from_numpy(face_region(size))[None, None]
        region = self._regions[size].to(labels)
        visible = self.segmenter.mask(labels.float()).to(labels)
        return 1.0 - region * (1.0 - visible)

    def forward(self, inputs: LossInputs) -> LossTerms:
        terms: LossTerms = {}
        for group in inputs.groups:
            weight = self.weights[group.group]
            if weight <= 0:
                continue
            label = at_size_of(group.label, group.result)
            gate = self.gate(label)
            error = (group.result - label).abs() * gate
            terms[group.group] = weight * error.sum() / (gate.sum() * group.result.shape[1]).clamp_min(1.0)
        return terms
