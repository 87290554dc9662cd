"""The dataset protocol, its views and splits, the upscaler, and the ``aligned`` dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo.errors import ZooError
from zoo_datasets.aligned import AlignedFaces
from zoo_datasets.base import FaceDataset, Subset, Upscaler, identity_groups, resize_faces, split_identities
from zoo_datasets.upscale import BicubicUpscaler
from zoo_synthfaces.dataset import SynthFaces


@pytest.fixture(scope="module")
def faces() -> SynthFaces:
    return SynthFaces(identities=10, images_per_identity=3, seed=0)


def test_bicubic_is_a_registered_upscaler() -> None:
    upscaler = zoo.build("backbone", "bicubic")
    assert isinstance(upscaler, BicubicUpscaler) and isinstance(upscaler, Upscaler)
    images = torch.rand(2, 3, 16, 16)
    big = upscaler.upscale(images, 40)
    assert big.shape == (2, 3, 40, 40) and 0.0 <= big.min() and big.max() <= 1.0
    face = SynthFaces(identities=2, images_per_identity=1).images([0], 32)
    round_trip = torch.nn.functional.avg_pool2d(upscaler.upscale(face, 64), 2)
    assert (round_trip - face).abs().mean() < 0.01


def test_bicubic_clamps_overshoot() -> None:
    edge = torch.zeros(1, 3, 8, 8)
    edge[..., 4:] = 1.0
    unclamped = torch.nn.functional.interpolate(edge, size=(32, 32), mode="bicubic", antialias=True, align_corners=False)
    assert unclamped.max() > 1.0 or unclamped.min() < 0.0  # bicubic rings past the range ...
    clamped = BicubicUpscaler().upscale(edge, 32)
    assert clamped.min() == 0.0 and clamped.max() == 1.0  # ... the upscaler never does


def test_resize_faces_down_up_and_same() -> None:
    images = torch.rand(3, 3, 24, 24)
    assert resize_faces(images, 24) is images
    assert resize_faces(images, 12).shape == (3, 3, 12, 12)

    class Recording:
        sizes: list[int] = []

        def upscale(self, batch: torch.Tensor, size: int) -> torch.Tensor:
            self.sizes.append(size)
            return torch.zeros(len(batch), 3, size, size)

    recording = Recording()
    assert resize_faces(images, 48, recording).abs().sum() == 0 and recording.sizes == [48]
    with pytest.raises(ValueError, match="aligned faces must be square"):
        resize_faces(torch.rand(1, 3, 10, 12), 8)


def test_downsizing_is_antialiased() -> None:
    stripes = torch.zeros(1, 3, 64, 64)
    stripes[..., ::2] = 1.0
    small = resize_faces(stripes, 16)[..., 1:-1]  # borders aside
    assert torch.allclose(small, torch.full_like(small, 0.5), atol=0.02)  # no aliasing into bands


def test_subset_keeps_labels_and_exact_swaps(faces: SynthFaces) -> None:
    view = Subset(faces, [29, 0, 4])
    assert len(view) == 3 and view.identities() == [9, 0, 1]
    assert torch.equal(view.image(0, 20), faces.image(29, 20))
    assert view.supports_exact_swap
    assert torch.equal(view.exact_swap(1, 2, 20), faces.exact_swap(0, 4, 20))
    with pytest.raises(IndexError, match="subset indices out of range"):
        Subset(faces, [30])


def test_identity_groups(faces: SynthFaces) -> None:
    groups = identity_groups(faces, [5, 4, 0, 29])
    assert groups == {0: [0], 1: [5, 4], 9: [29]}


@pytest.mark.parametrize("held_out", [3, 0.3])
def test_held_out_split_is_identity_disjoint_and_deterministic(faces: SynthFaces, held_out: int | float) -> None:
    train, held = split_identities(faces, held_out, seed=1)
    assert len(set(held.identities())) == 3
    assert not set(train.identities()) & set(held.identities())
    assert len(train) + len(held) == len(faces)
    again_train, again_held = split_identities(faces, held_out, seed=1)
    assert again_held.indices == held.indices
    assert split_identities(faces, held_out, seed=2)[1].indices != held.indices


@pytest.mark.parametrize("held_out, message", [
    (10, "cannot hold out 10 of the 10 identities"),
    (0, "cannot hold out 0 of the 10 identities"),
    (1.5, "held_out fraction must be between 0 and 1, got 1.5"),
])
def test_impossible_splits_are_explained(faces: SynthFaces, held_out: int | float, message: str) -> None:
    with pytest.raises(ZooError, match=message):
        split_identities(faces, held_out)


def test_a_dataset_without_ground_truth_says_so() -> None:
    class Minimal(FaceDataset):
        def __len__(self) -> int:
            return 2

        def identity(self, index: int) -> int:
            return index

        def images(self, indices, resolution, upscaler=None) -> torch.Tensor:
            return torch.zeros(len(indices), 3, resolution, resolution)

    minimal = Minimal()
    assert minimal.image(1, 8).shape == (3, 8, 8) and minimal.identities() == [0, 1]
    with pytest.raises(ZooError, match=r"^Minimal\(2 faces\) cannot render exact swaps"):
        minimal.exact_swap(0, 1, 8)


# ------------------------------------------------------------------------------------- aligned


def _write_faces(root: Path, people: dict[str, int], size: int = 32) -> None:
    rng = np.random.default_rng(0)
    for person, count in people.items():
        (root / person).mkdir(parents=True)
        for k in range(count):
            Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(root / person / f"{k}.png")


def test_aligned_folder_per_identity(tmp_path: Path) -> None:
    _write_faces(tmp_path, {"bob": 3, "ann": 2, "cid": 4})
    (tmp_path / "ann" / "notes.txt").write_text("ignored: not an image suffix")
    dataset = zoo.build("dataset", "aligned", root=str(tmp_path), max_identities=2, max_per_identity=2)
    assert dataset.names == ["ann", "bob"] and dataset.identities() == [0, 0, 1, 1]
    assert dataset.native_resolution == 32
    stored = torch.from_numpy(np.array(Image.open(tmp_path / "bob" / "1.png"))).permute(2, 0, 1).float() / 255
    assert torch.equal(dataset.image(3, 32), stored)
    assert dataset.image(3, 64).shape == (3, 64, 64)  # above native: the upscaler


def test_aligned_flat_folder_is_one_person_per_image(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for name in ("x", "y", "z"):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / f"{name}.png")
    dataset = AlignedFaces(str(tmp_path))
    assert dataset.identities() == [0, 1, 2] and dataset.names == ["x", "y", "z"]


def test_aligned_errors(tmp_path: Path) -> None:
    with pytest.raises(ZooError, match=rf"^aligned dataset: {tmp_path / 'missing'} does not exist$"):
        AlignedFaces(str(tmp_path / "missing"))
    (tmp_path / "empty" / "someone").mkdir(parents=True)
    with pytest.raises(ZooError, match=r"^aligned dataset: no images \(.png, .jpg, .jpeg, .bmp, .webp\) in "):
        AlignedFaces(str(tmp_path / "empty"))
    (tmp_path / "wide").mkdir()
    Image.new("RGB", (40, 30)).save(tmp_path / "wide" / "a.png")
    with pytest.raises(ZooError, match=r"is not square \(40×30\); aligned crops are square — use `zoo prepare` for photos$"):
        AlignedFaces(str(tmp_path / "wide"))


def test_glint_crops(assets: Path) -> None:
    dataset = zoo.build("dataset", "aligned", root=str(assets / "faces" / "glint"), max_identities=3, max_per_identity=4)
    assert len(dataset) == 12 and dataset.native_resolution == 112
    assert dataset.identities() == [0] * 4 + [1] * 4 + [2] * 4
    batch = dataset.images([0, 5, 11], 128)
    assert batch.shape == (3, 3, 128, 128) and 0.0 <= batch.min() and batch.max() <= 1.0
    assert (dataset.images([0], 64) - resize_faces(dataset.images([0], 112), 64)).abs().max() == 0
