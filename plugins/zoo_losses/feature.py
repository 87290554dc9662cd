"""Feature reconstruction (METHODS.md F4): distance between a network's features of result and label.

The extractor is named, not downloaded: the run's discriminator (its features see exactly the
artefacts the generator makes) or any registered backbone with ``features(images)``, such as an
identity encoder. No ImageNet network is needed.
"""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import Field
from torch import Tensor

from zoo.errors import ArgumentError
from zoo_losses.base import GroupName, LossInputs, LossTerms, at_size_of
from zoo.frozen import build_frozen
from zoo.refs import Ref, as_ref
from zoo_losses.frozen import FrozenHolder

__all__ = ["FeatureLoss", "DISCRIMINATOR"]

DISCRIMINATOR = "discriminator"
ExtractorRef = Ref(("discriminator", "identity_encoder"), special=(DISCRIMINATOR,))


class FeatureLoss(FrozenHolder):
    """Multi-layer feature reconstruction: Σ over layers of the distance of result and label features."""

    def __init__(
        self,
        extractor: Annotated[
            ExtractorRef, Field(description="'discriminator' (the run's) or a registered network with features(), with its arguments")
        ] = DISCRIMINATOR,
        distance: Annotated[Literal["l1", "l2"], Field(description="per-layer distance (mean over elements)")] = "l1",
        groups: Annotated[
            list[GroupName], Field(description="groups whose labels are trusted enough to match features")
        ] = ["fake_template", "triplet"],
        layer_weights: Annotated[
            list[float] | None, Field(description="one weight per extractor layer; None = all 1")
        ] = None,
    ):
        super().__init__()
        ref = as_ref(ExtractorRef, extractor)
        self.extractor_name = ref.name
        self.distance = distance
        self.groups = tuple(groups)
        self.layer_weights = None if layer_weights is None else tuple(layer_weights)
        if ref.kind is not None:
            self.hold("extractor", build_frozen(ref, "features", "feature loss"))

    def _features(self, inputs: LossInputs):
        if self.extractor_name != DISCRIMINATOR:
            return self.extractor.features
        if inputs.discriminator is None:
            raise ArgumentError(
                "feature loss: extractor 'discriminator' needs the run's discriminator, but this run has none"
            )
        return inputs.discriminator.features

    def _layer_distance(self, result: Tensor, label: Tensor) -> Tensor:
        difference = result - label
        return difference.abs().mean() if self.distance == "l1" else difference.square().mean()

    def forward(self, inputs: LossInputs) -> LossTerms:
        """One term per selected group present in the batch, keyed by the group's name."""
        terms: LossTerms = {}
        for group in inputs.select(self.groups):
            features = self._features(inputs)
            with torch.no_grad():
                targets = features(at_size_of(group.label, group.result))
            produced = features(group.result)
            weights = self.layer_weights or (1.0,) * len(produced)
            if len(weights) != len(produced):
                raise ArgumentError(
                    f"feature loss: layer_weights has {len(weights)} entries but extractor "
                    f"'{self.extractor_name}' returns {len(produced)} layers"
                )
            terms[group.group] = sum(
                weight * self._layer_distance(out, target)
                for weight, out, target in zip(weights, produced, targets)
            )
        return terms
