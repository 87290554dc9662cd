"""What the trainer hands every loss: the batch's sample groups and the run's discriminator.

One batch may mix sample groups (METHODS.md): Method P triplets, Method F fake-template (F1)
and fake-label (F2) groups. Their labels differ in trustworthiness, so losses weight or select
groups by name. Every loss returns named scalar terms, its own part weights already applied;
the names are unique within one loss and the caller namespaces them per recipe entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, get_args

from torch import Tensor, nn
from zoo.resize import resize

__all__ = [
    "GroupName",
    "GROUP_NAMES",
    "GroupOutputs",
    "LossInputs",
    "LossTerms",
    "at_size_of",
]

GroupName = Literal["triplet", "fake_template", "fake_label", "self"]
GROUP_NAMES: tuple[str, ...] = get_args(GroupName)
LossTerms = dict[str, Tensor]


@dataclass
class GroupOutputs:
    """One sample group of a batch and the generator's results for it (N×3×H×W RGB in [0, 1])."""

    group: str  # "triplet" (Method P) | "fake_template" (F1: S1, FT, RL) | "fake_label" (F2: S2, RT, FL) | "self" (X, X, X)
    source: Tensor
    template: Tensor
    label: Tensor
    result: Tensor

    def __post_init__(self) -> None:
        if self.group not in GROUP_NAMES:
            raise ValueError(f"unknown sample group {self.group!r}; expected one of {', '.join(GROUP_NAMES)}")


@dataclass
class LossInputs:
    """Everything a loss may look at for one generator (or discriminator) step."""

    groups: list[GroupOutputs]
    discriminator: nn.Module | None = None  # the run's discriminator when training adversarially

    def select(self, names: Iterable[str]) -> Iterator[GroupOutputs]:
        """The batch's groups whose name is in ``names``, in batch order."""
        wanted = set(names)
        return (group for group in self.groups if group.group in wanted)


def at_size_of(images: Tensor, reference: Tensor) -> Tensor:
    """``images`` resized (differentiably, antialiased when shrinking) to ``reference``'s H×W."""
    return resize(images, (reference.shape[-2], reference.shape[-1]))
