"""Adversarial loss (METHODS.md F4): the run's discriminator scores results against real photos.

Both sides live here so that the generator and discriminator objectives can never disagree on
the convention: logits are "realness", higher means more real, averaged over the
discriminator's scales. The discriminator returns one output per scale with ``.logits``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from zoo.errors import ArgumentError
from zoo_losses.base import GroupName, GroupOutputs, LossInputs, LossTerms, at_size_of

__all__ = ["AdversarialLoss", "REAL_IMAGES"]

Role = Literal["source", "template", "label"]

# Which image of each group is a real photo: RL is real in F1, RT in F2 (FL is another swapper's
# output, so showing it as "real" would teach the discriminator to accept that swapper's artefacts).
REAL_IMAGES: dict[str, str] = {"fake_template": "label", "fake_label": "template", "triplet": "label", "self": "label"}


def _mean_over_scales(outputs, score) -> Tensor:
    return sum(score(output.logits).mean() for output in outputs) / len(outputs)


class AdversarialLoss(nn.Module):
    """Adversarial loss, hinge or non-saturating; generator side and discriminator side."""

    def __init__(
        self,
        mode: Annotated[Literal["hinge", "non_saturating"], Field(description="GAN objective")] = "hinge",
        real_images: Annotated[
            dict[GroupName, Role],
            Field(description="per group, which of its images the discriminator sees as real"),
        ] = REAL_IMAGES,
    ):
        super().__init__()
        self.mode = mode
        self.real_images = {**REAL_IMAGES, **real_images}

    @staticmethod
    def _discriminator(inputs: LossInputs) -> nn.Module:
        if inputs.discriminator is None:
            raise ArgumentError("adversarial loss: the run has no discriminator to score results with")
        return inputs.discriminator

    def _real(self, group: GroupOutputs) -> Tensor:
        return at_size_of(getattr(group, self.real_images[group.group]), group.result)

    def forward(self, inputs: LossInputs) -> LossTerms:
        """Generator side: ``generator`` = how unreal the discriminator finds the results."""
        if not inputs.groups:
            return {}
        discriminator = self._discriminator(inputs)
        outputs = discriminator(torch.cat([group.result for group in inputs.groups]))
        if self.mode == "hinge":
            return {"generator": -_mean_over_scales(outputs, lambda logits: logits)}
        return {"generator": _mean_over_scales(outputs, lambda logits: F.softplus(-logits))}

    def discriminator_loss(self, inputs: LossInputs) -> LossTerms:
        """Discriminator side: ``real`` (real photos scored high) + ``fake`` (detached results scored low)."""
        if not inputs.groups:
            return {}
        discriminator = self._discriminator(inputs)
        real = discriminator(torch.cat([self._real(group).detach() for group in inputs.groups]))
        fake = discriminator(torch.cat([group.result.detach() for group in inputs.groups]))
        if self.mode == "hinge":
            return {
                "real": _mean_over_scales(real, lambda logits: F.relu(1 - logits)),
                "fake": _mean_over_scales(fake, lambda logits: F.relu(1 + logits)),
            }
        return {
            "real": _mean_over_scales(real, lambda logits: F.softplus(-logits)),
            "fake": _mean_over_scales(fake, lambda logits: F.softplus(logits)),
        }
