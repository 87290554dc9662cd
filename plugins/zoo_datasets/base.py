"""The dataset protocol every face dataset follows, plus identity-aware views of one.

A face dataset is a list of *aligned* faces (ArcFace-112 template scaled to the crop size), each
with an integer identity label. Sample builders (Method P triplets, Method F groups) and evaluation
only ever talk to this protocol, so a third-party dataset plugs in by subclassing
:class:`FaceDataset` and registering itself under the ``dataset`` kind.

Resolution is asked for on every read: a dataset with a native resolution downsizes with
antialiasing below it and hands enlargement to an *upscaler* above it (METHODS.md P9), so a
learned super-resolution network can replace bicubic by name without the dataset knowing.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from zoo.errors import ZooError
from zoo.resize import resize
from zoo_datasets.facts import DataSurvey

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "Augmenter",
    "FaceDataset",
    "Upscaler",
    "Subset",
    "resize_faces",
    "split_identities",
    "identity_groups",
]


@runtime_checkable
class Upscaler(Protocol):
    """Enlarges aligned faces; bicubic is the default, a learned network can take its place."""

    def upscale(self, images: Tensor, size: int) -> Tensor:
        """N×3×h×w float [0,1] → N×3×size×size float [0,1]."""
        ...


@runtime_checkable
class Augmenter(Protocol):
    """Augments one training sample; the template and its label must get the same geometry and colour."""

    def __call__(self, source: np.ndarray, template: np.ndarray, label: np.ndarray,
                 seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """H×W×3 uint8 source, template, label → the same three augmented; equal ``seed`` gives equal output."""
        ...


class FaceDataset(ABC):
    """Aligned faces with identity labels, readable at any resolution.

    Subclasses implement ``__len__``, :meth:`identity` and :meth:`images`; datasets that can
    render the pixel-exact swap of a pair (synthetic faces) also override :meth:`exact_swaps`
    and set ``supports_exact_swap``.
    """

    #: Side of the stored faces in pixels; ``None`` when faces are rendered at any size.
    native_resolution: int | None = None
    #: Whether :meth:`exact_swaps` renders ground truth for (source, template) pairs.
    supports_exact_swap: bool = False
    #: The licence of the faces, written into model cards; ``None`` = the photos' own (undeclared).
    licence: str | None = None

    @classmethod
    def survey(cls, **args: Any) -> DataSurvey | None:
        """Cheap plan-time facts from the dataset's arguments, without loading any face.

        A :class:`~zoo_datasets.facts.DataSurvey` (people, most photos of one person), or None when
        unknown; the planner puts it on the schedule state for the stages to check against. Raises :class:`zoo.schedule.PlanError` naming the argument (a missing ``root``), so
        ``zoo run --dry-run`` catches a wrong data root before any work.
        """
        return None

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def identity(self, index: int) -> int:
        """The identity label of face ``index`` (same person ⇔ same label)."""

    @abstractmethod
    def images(self, indices: Sequence[int], resolution: int, upscaler: Upscaler | None = None) -> Tensor:
        """Faces ``indices`` as an N×3×r×r float tensor in [0,1] (``upscaler`` used above native)."""

    def image(self, index: int, resolution: int, upscaler: Upscaler | None = None) -> Tensor:
        """One face as a 3×r×r float tensor in [0,1]."""
        return self.images([index], resolution, upscaler)[0]

    def identities(self) -> list[int]:
        """Identity label of every face, in index order."""
        return [self.identity(index) for index in range(len(self))]

    def exact_swaps(self, sources: Sequence[int], templates: Sequence[int], resolution: int) -> Tensor:
        """Ground truth: identity of each source rendered with everything else of its template."""
        raise ZooError(
            f"{self!r} cannot render exact swaps (only synthetic datasets such as 'synthfaces' can); "
            "use a swapper such as 'classical_compositor' instead of 'exact'"
        )

    def exact_swap(self, source: int, template: int, resolution: int) -> Tensor:
        """One ground-truth swap as a 3×r×r float tensor in [0,1]."""
        return self.exact_swaps([source], [template], resolution)[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} faces)"


def resize_faces(images: Tensor, resolution: int, upscaler: Upscaler | None = None) -> Tensor:
    """Bring N×3×h×w faces to r×r: antialiased downsizing, ``upscaler`` (bicubic) for enlarging."""
    size = images.shape[-1]
    if images.shape[-2] != size:
        raise ValueError(f"aligned faces must be square, got {tuple(images.shape[-2:])}")
    if size == resolution:
        return images
    if size > resolution:
        return resize(images, resolution).clamp_(0.0, 1.0)
    if upscaler is None:
        from zoo_datasets.upscale import BicubicUpscaler

        upscaler = BicubicUpscaler()
    return upscaler.upscale(images, resolution)


class Subset(FaceDataset):
    """A view of some faces of another dataset; identity labels are kept, not renumbered."""

    def __init__(self, dataset: FaceDataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = [int(index) for index in indices]
        bad = [index for index in self.indices if not 0 <= index < len(dataset)]
        if bad:
            raise IndexError(f"subset indices out of range for {dataset!r}: {bad[:5]}")
        self.native_resolution = dataset.native_resolution
        self.supports_exact_swap = dataset.supports_exact_swap

    def __len__(self) -> int:
        return len(self.indices)

    def identity(self, index: int) -> int:
        return self.dataset.identity(self.indices[index])

    def images(self, indices: Sequence[int], resolution: int, upscaler: Upscaler | None = None) -> Tensor:
        return self.dataset.images([self.indices[i] for i in indices], resolution, upscaler)

    def exact_swaps(self, sources: Sequence[int], templates: Sequence[int], resolution: int) -> Tensor:
        return self.dataset.exact_swaps(
            [self.indices[i] for i in sources], [self.indices[i] for i in templates], resolution
        )

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {self.dataset!r})"


def identity_groups(dataset: FaceDataset, indices: Sequence[int] | None = None) -> dict[int, list[int]]:
    """Indices of each identity (restricted to ``indices``), identities in ascending order."""
    labels = dataset.identities()
    groups: dict[int, list[int]] = {}
    for index in range(len(dataset)) if indices is None else indices:
        groups.setdefault(labels[index], []).append(int(index))
    return dict(sorted(groups.items()))


def split_identities(dataset: FaceDataset, held_out: int | float, seed: int = 0) -> tuple[Subset, Subset]:
    """Identity-disjoint (train, held-out) views; the same seed always holds out the same people.

    ``held_out`` is a number of identities (int ≥ 1) or a fraction of them (0 < float < 1).
    """
    groups = identity_groups(dataset)
    count = len(groups)
    if isinstance(held_out, float) and not isinstance(held_out, bool):
        if not 0.0 < held_out < 1.0:
            raise ZooError(f"held_out fraction must be between 0 and 1, got {held_out}")
        wanted = max(1, math.floor(count * held_out))
    else:
        wanted = int(held_out)
    if not 1 <= wanted < count:
        raise ZooError(
            f"cannot hold out {wanted} of the {count} identities in {dataset!r}: "
            "both the training and the held-out part need at least one identity"
        )
    labels = list(groups)
    chosen = set(np.random.default_rng(seed).choice(len(labels), size=wanted, replace=False).tolist())
    train = [i for k, label in enumerate(labels) if k not in chosen for i in groups[label]]
    held = [i for k, label in enumerate(labels) if k in chosen for i in groups[label]]
    return Subset(dataset, sorted(train)), Subset(dataset, sorted(held))
