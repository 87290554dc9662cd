"""Identity losses (METHODS.md F4) measured by a frozen face-recognition encoder ``e``.

First: the result must carry the source's identity, ``1 − cos(e(Y), e(S))``, for every group.
Second: the result should resemble its template exactly as much as the source does,
``|cos(e(Y), e(T)) − cos(e(S), e(T))|``, over F1 (Y1, FT, S1) and F2 (Y2, RT, S2). It keeps the
first loss from pushing the result further from the template than the identity change needs.
"""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from zoo_losses.base import GroupName, LossInputs, LossTerms
from zoo.frozen import build_frozen
from zoo.refs import Ref, as_ref
from zoo_losses.frozen import FrozenHolder

__all__ = ["IdentityLoss"]

EncoderRef = Ref("identity_encoder")


class IdentityLoss(FrozenHolder):
    """Identity losses: 1 − cos(e(Y), e(S)) and |cos(e(Y), e(T)) − cos(e(S), e(T))| (F4)."""

    def __init__(
        self,
        encoder: Annotated[
            EncoderRef, Field(description="identity encoder e(·) with its arguments, e.g. {name: mobilefacenet, weights: …}")
        ] = "mobilefacenet",
        first_weight: Annotated[float, Field(ge=0, description="weight of 1 − cos(e(Y), e(S))")] = 1.0,
        second_weight: Annotated[
            float, Field(ge=0, description="weight of |cos(e(Y), e(T)) − cos(e(S), e(T))|")
        ] = 1.0,
        second_groups: Annotated[
            list[GroupName], Field(description="groups the second loss covers (F4: both Method F groups)")
        ] = ["fake_template", "fake_label"],
    ):
        super().__init__()
        self.hold("encoder", build_frozen(as_ref(EncoderRef, encoder), "forward", "identity loss"))
        self.first_weight = first_weight
        self.second_weight = second_weight
        self.second_groups = frozenset(second_groups)

    def forward(self, inputs: LossInputs) -> LossTerms:
        """``first`` over every group, ``second`` over the selected groups present (sample means)."""
        first: list[Tensor] = []
        second: list[Tensor] = []
        for group in inputs.groups:
            result = self.encoder(group.result)
            with torch.no_grad():
                source = self.encoder(group.source)
            first.append(1 - F.cosine_similarity(result, source, dim=1))
            if group.group in self.second_groups:
                with torch.no_grad():
                    template = self.encoder(group.template)
                    source_to_template = F.cosine_similarity(source, template, dim=1)
                result_to_template = F.cosine_similarity(result, template, dim=1)
                second.append((result_to_template - source_to_template).abs())
        terms: LossTerms = {}
        if first:
            terms["first"] = self.first_weight * torch.cat(first).mean()
        if second:
            terms["second"] = self.second_weight * torch.cat(second).mean()
        return terms
