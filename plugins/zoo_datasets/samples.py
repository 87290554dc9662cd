"""Sample builders: Method P triplets and Method F groups, with the identity rules enforced.

Samples are kept as uint8 (a quarter of float memory) and become float [0,1] only per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

import numpy as np
import torch
from torch import Tensor
from zoo.errors import ZooError
from zoo.progress import Progress
from zoo_datasets.base import Augmenter, FaceDataset, Upscaler, identity_groups, resize_faces


__all__ = ["SampleSet", "Swapper", "build_triplets", "build_groups", "to_uint8"]

Group = Literal["triplet", "fake_template", "fake_label", "self"]
_CHUNK = 256


class Swapper(Protocol):
    def swap(self, source: Tensor, template: Tensor) -> Tensor: ...


def to_uint8(images: Tensor) -> Tensor:
    return (images.clamp(0, 1) * 255).round().to(torch.uint8)


@dataclass
class SampleSet:
    """``(source, template, label)`` samples of one group; labels may be larger than inputs (P8)."""

    group: str
    source: Tensor
    template: Tensor
    label: Tensor
    source_identity: Tensor

    def __len__(self) -> int:
        return len(self.source)

    def batch(self, indices: Sequence[int], augment: Augmenter | None = None, seed: int = 0) -> dict[str, Tensor]:
        """Samples ``indices`` as float [0,1] tensors (plus ``source_identity``).

        With ``augment``, each sample is augmented reproducibly from ``(seed, its index)``; the
        template and label share one draw so the label stays pixel-aligned with the template.
        """
        positions = list(indices)
        index = torch.as_tensor(positions, dtype=torch.long)
        images = {name: getattr(self, name)[index] for name in ("source", "template", "label")}
        if augment is not None:
            images = _augmented(images, positions, augment, seed)
        batch = {name: pixels.float().div_(255) for name, pixels in images.items()}
        batch["source_identity"] = self.source_identity[index]
        return batch

    def subset(self, indices: Sequence[int]) -> SampleSet:
        index = torch.as_tensor(list(indices), dtype=torch.long)
        return replace(self, source=self.source[index], template=self.template[index], label=self.label[index],
                       source_identity=self.source_identity[index])


def _augmented(images: dict[str, Tensor], positions: list[int], augment: Augmenter, seed: int) -> dict[str, Tensor]:
    from zoo_datasets.augment import sample_seed

    out: dict[str, list[Tensor]] = {name: [] for name in images}
    for row, position in enumerate(positions):
        arrays = [images[name][row].permute(1, 2, 0).numpy() for name in ("source", "template", "label")]
        for name, array in zip(("source", "template", "label"), augment(*arrays, seed=sample_seed(seed, position))):
            out[name].append(torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1))
    return {name: torch.stack(tensors) if tensors else images[name] for name, tensors in out.items()}


def _upscaler(name: str | Upscaler) -> Upscaler:
    if not isinstance(name, str):
        return name
    from zoo.registry import default_registry

    return default_registry().build("backbone", name)


def _check(quantity: int, swapper: Swapper | str) -> None:
    if quantity <= 0:
        raise ZooError(f"quantity must be a positive number of samples, got {quantity}")
    if isinstance(swapper, str) and swapper != "exact":
        raise ZooError(f"swapper must be 'exact' or an object with swap(source, template), got the name {swapper!r}; "
                       "build named swappers first (zoo.build('backbone', name))")
    if not isinstance(swapper, str) and not callable(getattr(swapper, "swap", None)):
        raise ZooError(f"swapper {type(swapper).__name__} has no swap(source, template) method")


def _load(dataset: FaceDataset, indices: list[int], resolution: int, upscaler: Upscaler) -> Tensor:
    return torch.cat([dataset.images(indices[i:i + _CHUNK], resolution, upscaler) for i in range(0, len(indices), _CHUNK)])


def _swap(swapper: Swapper | str, dataset: FaceDataset, sources: list[int], templates: list[int],
          resolution: int, upscaler: Upscaler, progress: Progress | None = None) -> Tensor:
    """Labels at ``resolution``: the dataset's exact ground truth, or the swapper's result (counted on ``progress``)."""
    outputs = []
    for start in range(0, len(sources), _CHUNK):
        s, t = sources[start:start + _CHUNK], templates[start:start + _CHUNK]
        if swapper == "exact":
            outputs.append(dataset.exact_swaps(s, t, resolution))
        else:
            with torch.no_grad():
                swapped = swapper.swap(dataset.images(s, resolution, upscaler), dataset.images(t, resolution, upscaler))
            outputs.append(resize_faces(swapped.float().clamp(0.0, 1.0), resolution, upscaler))
        if progress is not None:
            progress.update(len(s))
    return torch.cat(outputs)


def _pools(dataset: FaceDataset, indices: Sequence[int] | None) -> dict[int, list[int]]:
    groups = identity_groups(dataset, list(range(len(dataset))) if indices is None else list(indices))
    if len(groups) < 2:
        raise ZooError(f"{dataset!r} has {len(groups)} identity in the chosen faces; swaps need at least two people")
    return groups


def _other_identity(rng: np.random.Generator, labels: list[int], exclude: int) -> int:
    choice = labels[int(rng.integers(len(labels) - 1))]
    return choice if choice != exclude else labels[-1]


def _pick(rng: np.random.Generator, items: list[int]) -> int:
    return items[int(rng.integers(len(items)))]


def build_triplets(
    dataset: FaceDataset,
    *,
    resolution: int,
    quantity: int,
    swapper: Swapper | str,
    label_resolution: int | None = None,
    upscaler: str | Upscaler = "bicubic",
    seed: int = 0,
    indices: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> SampleSet:
    """Method P (P1/P4/P8/P10): source and template of different people, label = their swap.

    ``progress`` counts the labels made (the swapper is what takes the time).
    """
    _check(quantity, swapper)
    pools = _pools(dataset, indices)
    labels = list(pools)
    rng = np.random.default_rng(seed)
    sources, templates = [], []
    for _ in range(quantity):
        source_id = _pick(rng, labels)
        sources.append(_pick(rng, pools[source_id]))
        templates.append(_pick(rng, pools[_other_identity(rng, labels, source_id)]))
    scaler = _upscaler(upscaler)
    label = _swap(swapper, dataset, sources, templates, label_resolution or resolution, scaler, progress)
    return SampleSet(
        group="triplet",
        source=to_uint8(_load(dataset, sources, resolution, scaler)),
        template=to_uint8(_load(dataset, templates, resolution, scaler)),
        label=to_uint8(label),
        source_identity=torch.tensor([dataset.identity(i) for i in sources]),
    )


def build_groups(
    dataset: FaceDataset,
    *,
    resolution: int,
    quantity: int,
    swapper: Swapper | str,
    groups: Sequence[Group] = ("fake_template", "fake_label"),
    upscaler: str | Upscaler = "bicubic",
    seed: int = 0,
    indices: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> list[SampleSet]:
    """Method F groups, ``quantity`` samples each (``progress`` counts the swaps made).

    F1 fake-template ``(S1, FT, RL)``: RL a real photo of person A, S1 a *different* photo of A,
    FT = RL with the identity of a reference person R ≠ A swapped in — so swapping S1 onto FT must
    give RL back. F2 fake-label ``(S2, RT, FL)``: RT a real template, S2 a photo of another person,
    FL = swap(S2, RT) by the existing swapper. ``self`` (no swapper): one real photo as source,
    template and label — the self-reconstruction baseline (SimSwap-style) that Method F is measured against.
    """
    _check(quantity, swapper)
    pools = _pools(dataset, indices)
    labels = list(pools)
    scaler = _upscaler(upscaler)
    rng = np.random.default_rng(seed)
    built = []
    for group in dict.fromkeys(groups):
        if group == "fake_template":
            built.append(_fake_template(dataset, pools, labels, rng, quantity, resolution, swapper, scaler, progress))
        elif group == "fake_label":
            built.append(_fake_label(dataset, pools, labels, rng, quantity, resolution, swapper, scaler, progress))
        elif group == "self":
            built.append(_self_reconstruction(dataset, pools, labels, rng, quantity, resolution, scaler, progress))
        else:
            raise ZooError(f"unknown sample group {group!r}: use fake_template, fake_label and/or self")
    return built


def _fake_template(dataset: FaceDataset, pools: dict[int, list[int]], labels: list[int], rng: np.random.Generator,
                   quantity: int, resolution: int, swapper: Any, scaler: Upscaler,
                   progress: Progress | None) -> SampleSet:
    eligible = [label for label in labels if len(pools[label]) >= 2]
    if not eligible:
        raise ZooError(f"fake-template groups (F1) need a person with at least two photos; {dataset!r} has none")
    reals, sources, references = [], [], []
    for _ in range(quantity):
        person = _pick(rng, eligible)
        real = _pick(rng, pools[person])
        others = [i for i in pools[person] if i != real]
        reals.append(real)
        sources.append(_pick(rng, others))
        references.append(_pick(rng, pools[_other_identity(rng, labels, person)]))
    fake_templates = _swap(swapper, dataset, references, reals, resolution, scaler, progress)
    return SampleSet(
        group="fake_template",
        source=to_uint8(_load(dataset, sources, resolution, scaler)),
        template=to_uint8(fake_templates),
        label=to_uint8(_load(dataset, reals, resolution, scaler)),
        source_identity=torch.tensor([dataset.identity(i) for i in sources]),
    )


def _fake_label(dataset: FaceDataset, pools: dict[int, list[int]], labels: list[int], rng: np.random.Generator,
                quantity: int, resolution: int, swapper: Any, scaler: Upscaler,
                progress: Progress | None) -> SampleSet:
    templates, sources = [], []
    for _ in range(quantity):
        person = _pick(rng, labels)
        templates.append(_pick(rng, pools[person]))
        sources.append(_pick(rng, pools[_other_identity(rng, labels, person)]))
    return SampleSet(
        group="fake_label",
        source=to_uint8(_load(dataset, sources, resolution, scaler)),
        template=to_uint8(_load(dataset, templates, resolution, scaler)),
        label=to_uint8(_swap(swapper, dataset, sources, templates, resolution, scaler, progress)),
        source_identity=torch.tensor([dataset.identity(i) for i in sources]),
    )


def _self_reconstruction(dataset: FaceDataset, pools: dict[int, list[int]], labels: list[int],
                         rng: np.random.Generator, quantity: int, resolution: int, scaler: Upscaler,
                         progress: Progress | None) -> SampleSet:
    """``(X, X, X)``: nothing to swap, so the label is real but the template already carries the identity."""
    photos = [_pick(rng, pools[_pick(rng, labels)]) for _ in range(quantity)]
    images = to_uint8(_load(dataset, photos, resolution, scaler))
    if progress is not None:
        progress.update(quantity)
    return SampleSet(group="self", source=images, template=images.clone(), label=images.clone(),
                     source_identity=torch.tensor([dataset.identity(i) for i in photos]))
