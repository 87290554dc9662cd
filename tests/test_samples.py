"""Sample builders: Method P triplets and Method F groups, their identity rules and their errors.

Synthetic faces make every rule checkable: each stored image is matched back, pixel for pixel, to
the face (or exact swap) it must be.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import torch

import zoo
from zoo.errors import ZooError
from zoo_datasets.base import FaceDataset, Subset, Upscaler
from zoo_datasets.samples import SampleSet, build_groups, build_triplets, to_uint8
from zoo_synthfaces.dataset import SynthFaces

RES = 24


@pytest.fixture(scope="module")
def faces() -> SynthFaces:
    return SynthFaces(identities=4, images_per_identity=3, seed=7)


@pytest.fixture(scope="module")
def catalogue(faces: SynthFaces) -> torch.Tensor:
    return to_uint8(faces.images(range(len(faces)), RES))


def which(catalogue: torch.Tensor, image: torch.Tensor) -> int:
    """Index of the dataset face that ``image`` is, exactly."""
    matches = [i for i in range(len(catalogue)) if torch.equal(catalogue[i], image)]
    assert len(matches) == 1, "stored image is not exactly one face of the dataset"
    return matches[0]


def exact(faces: SynthFaces, source: int, template: int, resolution: int = RES) -> torch.Tensor:
    return to_uint8(faces.exact_swaps([source], [template], resolution))[0]


def test_triplets_pair_different_people_and_label_their_exact_swap(faces: SynthFaces, catalogue: torch.Tensor) -> None:
    triplets = build_triplets(faces, resolution=RES, quantity=20, swapper="exact", seed=1)
    assert triplets.group == "triplet" and len(triplets) == 20
    assert triplets.source.dtype == torch.uint8 and triplets.source.shape == (20, 3, RES, RES)
    for k in range(len(triplets)):
        source, template = which(catalogue, triplets.source[k]), which(catalogue, triplets.template[k])
        assert faces.identity(source) != faces.identity(template)
        assert int(triplets.source_identity[k]) == faces.identity(source)
        assert torch.equal(triplets.label[k], exact(faces, source, template))


def test_fake_template_group_follows_f1(faces: SynthFaces, catalogue: torch.Tensor) -> None:
    (group,) = build_groups(faces, resolution=RES, quantity=15, swapper="exact", groups=("fake_template",), seed=2)
    assert group.group == "fake_template"
    for k in range(len(group)):
        real, source = which(catalogue, group.label[k]), which(catalogue, group.source[k])
        assert source != real and faces.identity(source) == faces.identity(real)  # S1: another photo of RL's person
        references = [r for r in range(len(faces)) if torch.equal(group.template[k], exact(faces, r, real))]
        assert references and all(faces.identity(r) != faces.identity(real) for r in references)  # FT = swap(R, RL)


def test_fake_label_group_follows_f2(faces: SynthFaces, catalogue: torch.Tensor) -> None:
    (group,) = build_groups(faces, resolution=RES, quantity=15, swapper="exact", groups=("fake_label",), seed=3)
    for k in range(len(group)):
        source, template = which(catalogue, group.source[k]), which(catalogue, group.template[k])
        assert faces.identity(source) != faces.identity(template)
        assert torch.equal(group.label[k], exact(faces, source, template))


def test_self_group_is_one_real_photo_as_source_template_and_label(faces: SynthFaces, catalogue: torch.Tensor) -> None:
    (group,) = build_groups(faces, resolution=RES, quantity=12, swapper="exact", groups=("self",), seed=6)
    assert group.group == "self" and len(group) == 12
    photos = [which(catalogue, group.source[k]) for k in range(len(group))]
    assert len(set(photos)) > 1  # drawn over the faces, not one face repeated
    for k, photo in enumerate(photos):
        assert torch.equal(group.template[k], group.source[k]) and torch.equal(group.label[k], group.source[k])
        assert int(group.source_identity[k]) == faces.identity(photo)


def test_self_group_needs_no_swapper_and_keeps_to_the_given_faces(faces: SynthFaces, catalogue: torch.Tensor) -> None:
    chosen = [i for i in range(len(faces)) if faces.identity(i) in (0, 1)]
    (group,) = build_groups(faces, resolution=RES, quantity=8, swapper=Unusable(), groups=("self",), indices=chosen)
    assert all(which(catalogue, group.label[k]) in chosen for k in range(len(group)))


class Unusable:
    """A swapper that must not be called: the self group swaps nothing."""

    def swap(self, source: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        raise AssertionError("the self group called the swapper")


def test_same_seed_same_samples(faces: SynthFaces) -> None:
    first = build_groups(faces, resolution=16, quantity=6, swapper="exact", seed=4)
    again = build_groups(faces, resolution=16, quantity=6, swapper="exact", seed=4)
    other = build_groups(faces, resolution=16, quantity=6, swapper="exact", seed=5)
    assert [g.group for g in first] == ["fake_template", "fake_label"]
    for a, b in zip(first, again):
        assert torch.equal(a.source, b.source) and torch.equal(a.template, b.template) and torch.equal(a.label, b.label)
    assert not torch.equal(first[0].source, other[0].source)


def test_more_samples_than_pairs_is_fine(faces: SynthFaces) -> None:
    small = Subset(faces, [0, 3])  # two people, one photo each: 2 ordered pairs
    triplets = build_triplets(small, resolution=16, quantity=9, swapper="exact", seed=0)
    assert len(triplets) == 9
    assert set(triplets.source_identity.tolist()) == {0, 1}


def test_indices_restrict_the_faces_used(faces: SynthFaces, catalogue: torch.Tensor) -> None:
    allowed = [0, 1, 3, 4]  # identities 0 and 1 only
    triplets = build_triplets(faces, resolution=RES, quantity=8, swapper="exact", seed=0, indices=allowed)
    used = {which(catalogue, img) for img in torch.cat([triplets.source, triplets.template])}
    assert used <= set(allowed)


def test_labels_may_be_larger_than_inputs(faces: SynthFaces) -> None:
    triplets = build_triplets(faces, resolution=16, quantity=4, swapper="exact", label_resolution=32, seed=0)
    assert triplets.source.shape[-1] == 16 and triplets.label.shape[-1] == 32
    batch = triplets.batch([0, 3])
    assert batch["label"].shape == (2, 3, 32, 32) and batch["source"].shape == (2, 3, 16, 16)


class _HalfSize:
    """A swapper whose output is half the input size, like a generator trained at a lower resolution."""

    def swap(self, source: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.avg_pool2d(template, 2)


class _CountingUpscaler:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def upscale(self, images: torch.Tensor, size: int) -> torch.Tensor:
        self.calls.append(size)
        return zoo.build("backbone", "bicubic").upscale(images, size)


def test_small_swapper_output_is_upscaled_by_the_named_upscaler(faces: SynthFaces) -> None:
    upscaler = _CountingUpscaler()
    assert isinstance(upscaler, Upscaler)
    triplets = build_triplets(faces, resolution=32, quantity=3, swapper=_HalfSize(), upscaler=upscaler, seed=0)
    assert triplets.label.shape == (3, 3, 32, 32)
    assert upscaler.calls == [32]


def test_classical_compositor_as_the_existing_swapper(faces: SynthFaces) -> None:
    compositor = zoo.build("backbone", "classical_compositor")
    groups = build_groups(faces, resolution=48, quantity=2, swapper=compositor, seed=0)
    fake_template, fake_label = groups
    assert fake_template.template.shape == (2, 3, 48, 48)
    # the compositor changes the face, so FT is not the real label and FL is not the template
    assert (fake_template.template.float() - fake_template.label.float()).abs().mean() > 1.0
    assert (fake_label.label.float() - fake_label.template.float()).abs().mean() > 1.0


def test_batch_is_float_with_identities(faces: SynthFaces) -> None:
    triplets = build_triplets(faces, resolution=16, quantity=5, swapper="exact", seed=0)
    batch = triplets.batch([4, 0])
    assert set(batch) == {"source", "template", "label", "source_identity"}
    assert batch["source"].dtype == torch.float32 and 0 <= batch["source"].min() and batch["source"].max() <= 1
    assert torch.equal(batch["source"], triplets.source[[4, 0]].float() / 255)
    assert batch["source_identity"].tolist() == triplets.source_identity[[4, 0]].tolist()


# ----------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("quantity", [0, -3])
def test_quantity_must_be_positive(faces: SynthFaces, quantity: int) -> None:
    with pytest.raises(ZooError, match=rf"^quantity must be a positive number of samples, got {quantity}$"):
        build_triplets(faces, resolution=16, quantity=quantity, swapper="exact")
    with pytest.raises(ZooError, match=rf"^quantity must be a positive number of samples, got {quantity}$"):
        build_groups(faces, resolution=16, quantity=quantity, swapper="exact")


def test_fake_template_needs_a_person_with_two_photos(faces: SynthFaces) -> None:
    one_each = Subset(faces, [0, 3, 6, 9])
    with pytest.raises(ZooError, match=r"^fake-template groups \(F1\) need a person with at least two photos; .* has none$"):
        build_groups(one_each, resolution=16, quantity=4, swapper="exact")
    (fake_label,) = build_groups(one_each, resolution=16, quantity=4, swapper="exact", groups=("fake_label",))
    assert len(fake_label) == 4  # F2 needs no second photo


def test_one_person_cannot_be_swapped(faces: SynthFaces) -> None:
    with pytest.raises(ZooError, match=r"has 1 identity in the chosen faces; swaps need at least two people$"):
        build_triplets(faces, resolution=16, quantity=2, swapper="exact", indices=[0, 1, 2])


def test_exact_labels_need_a_dataset_that_renders_them(faces: SynthFaces) -> None:
    class Photos(FaceDataset):
        def __len__(self) -> int:
            return 4

        def identity(self, index: int) -> int:
            return index % 2

        def images(self, indices: Sequence[int], resolution: int, upscaler: Upscaler | None = None) -> torch.Tensor:
            return faces.images(list(indices), resolution)

    with pytest.raises(ZooError, match=r"cannot render exact swaps .* use a swapper such as 'classical_compositor'"):
        build_triplets(Photos(), resolution=16, quantity=2, swapper="exact")


def test_swapper_names_are_not_swappers(faces: SynthFaces) -> None:
    with pytest.raises(ZooError, match=r"^swapper must be 'exact' or an object with swap\(source, template\)"):
        build_triplets(faces, resolution=16, quantity=2, swapper="classical_compositor")


def test_unknown_group_is_named(faces: SynthFaces) -> None:
    with pytest.raises(ZooError, match=r"^unknown sample group 'fake_source': use fake_template, fake_label and/or self$"):
        build_groups(faces, resolution=16, quantity=2, swapper="exact", groups=("fake_source",))


def test_sample_set_subset_keeps_rows_together(faces: SynthFaces) -> None:
    triplets = build_triplets(faces, resolution=16, quantity=6, swapper="exact", seed=0)
    part = triplets.subset([5, 1])
    assert isinstance(part, SampleSet) and len(part) == 2
    assert torch.equal(part.label[0], triplets.label[5]) and part.source_identity.tolist() == triplets.source_identity[[5, 1]].tolist()
