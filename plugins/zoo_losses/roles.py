"""The loss and discriminator roles, as the ``train`` stage and the losses plugin use them.

A loss is called with :class:`zoo_losses.base.LossInputs` and returns named scalar terms. A loss
that also trains the discriminator adds ``discriminator_loss`` (:class:`AdversarialSide`). A
discriminator returns per-scale outputs with logits and intermediate features, which the
``feature`` loss compares (F4).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from torch import Tensor

from zoo_losses.base import LossInputs, LossTerms

__all__ = ["Loss", "AdversarialSide", "Discriminator"]


class Loss(Protocol):
    def __call__(self, inputs: LossInputs) -> LossTerms:
        """Named scalar terms with gradients, the loss's own part weights applied."""
        ...


@runtime_checkable
class AdversarialSide(Protocol):
    def discriminator_loss(self, inputs: LossInputs) -> LossTerms:
        """Terms the discriminator minimises (results detached by the caller)."""
        ...


class Discriminator(Protocol):
    def forward(self, images: Tensor) -> list[Any]:
        """One output per scale, each with ``logits`` and ``features``."""
        ...

    def features(self, images: Tensor) -> list[Tensor]: ...
