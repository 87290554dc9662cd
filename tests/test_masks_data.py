"""The occluded-face dataset: exact targets from the pasted alpha, fixed held-out splits, reproducible samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.errors import ZooError
from zoo_masks.dataset import OccludedFaces, face_region
from zoo_masks.occluders import OccluderBank


@pytest.fixture(scope="module")
def data(assets: Path) -> OccludedFaces:
    return zoo.build("dataset", "occluded_faces", faces=str(assets / "faces" / "glint"),
                     occluders=str(assets / "occluders"), resolution=32, max_per_identity=6)


def test_target_is_the_region_minus_the_pasted_alpha(data: OccludedFaces) -> None:
    occluded = 0
    for index in range(40):
        sample = data.sample("train", index, seed=3)
        np.testing.assert_array_equal(sample.target, sample.region * (1 - sample.alpha))
        if sample.kinds:
            occluded += 1
            assert sample.alpha.max() > 0  # something covers the crop
        else:
            assert not sample.alpha.any() and np.array_equal(sample.target, sample.region)
    assert occluded >= 30
    batch = data.batch("train", range(4), seed=3)
    assert batch["image"].shape == (4, 3, 32, 32) and batch["target"].shape == (4, 1, 32, 32)
    assert 0 <= float(batch["image"].min()) and float(batch["image"].max()) <= 1


def test_samples_are_a_function_of_split_index_and_seed(data: OccludedFaces) -> None:
    a, b = data.sample("train", 7, seed=1), data.sample("train", 7, seed=1)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.target, b.target)
    assert not np.array_equal(a.image, data.sample("train", 7, seed=2).image)


def test_object_test_and_held_out_files_are_never_trained_on(assets: Path, data: OccludedFaces) -> None:
    train, test = data.bank("train"), data.bank("test")
    train_names = {(o.category, o.name) for o in train.occluders}
    test_names = {(o.category, o.name) for o in test.occluders}
    assert not train_names & test_names
    assert {c for c, _ in train_names} == {"glasses", "eleglasses", "scarf", "object_train"}
    assert sum(c == "object_test" for c, _ in test_names) == len(list((assets / "occluders" / "object_test").glob("*.png")))
    assert {"glasses", "scarf"} <= {c for c, _ in test_names}
    drawn = {kind for index in range(300) for kind in data.sample("train", index, seed=0).kinds}
    assert "object_test" not in drawn and {"hand", "bar", "hair", "glasses", "scarf"} <= drawn
    assert not {"hand", "bar", "hair"} & {kind for index in range(100) for kind in data.sample("test", index, seed=0).kinds}
    assert not set(data.people["train"]) & set(data.people["test"])


def test_region_is_the_hull_zoo_swap_pastes_inside() -> None:
    region = face_region(64)
    assert region.shape == (64, 64) and set(np.unique(region)) == {0.0, 1.0}
    assert 0.3 < region.mean() < 0.7 and region[32, 32] == 1 and region[0, 0] == 0


def test_bad_folders_are_one_line(assets: Path, tmp_path: Path) -> None:
    with pytest.raises(ZooError, match="faces folder .* does not exist"):
        OccludedFaces(str(tmp_path / "nowhere"), str(assets / "occluders"))
    with pytest.raises(ZooError, match="no RGBA .png files for the train split"):
        OccluderBank(tmp_path, "train")
