"""The occluded-face dataset: exact targets from the pasted alpha, fixed held-out splits, reproducible samples."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import zoo
from zoo.errors import ZooError
from zoo_masks.composite import composite, match_lighting
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


def test_the_target_is_the_region_minus_the_shrunk_alpha_of_a_large_composite() -> None:
    # a face composited at 3x: an off-grid square occluder, exact in the large alpha, is shrunk by area averaging
    big, size = 96, 32
    face = np.full((big, big, 3), 150, np.uint8)
    region = np.zeros((big, big), np.float32)
    region[10:80, 12:84] = 1.0
    layer = np.zeros((big, big, 4), np.uint8)
    layer[31:62, 40:71] = (20, 40, 200, 255)
    for seed in range(5):
        shrunk = composite(face, region, [layer], size, np.random.default_rng(seed))
        expected_alpha = cv2.resize((layer[..., 3] / 255.0).astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
        np.testing.assert_array_equal(shrunk.alpha, expected_alpha)
        np.testing.assert_array_equal(shrunk.region, cv2.resize(region, (size, size), interpolation=cv2.INTER_AREA))
        assert shrunk.image.shape == (size, size, 3) and shrunk.image.dtype == np.uint8
    # the square's edges fall inside shrunk pixels: soft (anti-aliased) alpha there, as a shrunk photo has
    assert ((expected_alpha > 0) & (expected_alpha < 1)).sum() >= 20


def test_dataset_targets_are_one_minus_the_shrunk_alpha_inside_the_region(data: OccludedFaces) -> None:
    assert data.composite_size == 3 * data.resolution and data.faces("train").shape[1] == data.composite_size
    soft = 0
    for index in range(30):
        sample = data.sample("train", index, seed=5)
        inside = sample.region == 1.0
        np.testing.assert_array_equal(sample.target[inside], 1.0 - sample.alpha[inside])
        soft += int(((sample.alpha > 0.02) & (sample.alpha < 0.98)).sum())
    assert soft > 100  # occluder outlines are shrunk, not pasted hard


def test_relighting_moves_an_occluder_towards_the_face_brightness_never_past_it() -> None:
    face = np.full((60, 60, 3), 60, np.uint8)
    layer = np.zeros((60, 60, 4), np.uint8)
    layer[10:50, 10:50] = (230, 230, 230, 255)
    brightness = [match_lighting(layer, face, np.random.default_rng(seed))[10:50, 10:50, :3].mean() for seed in range(20)]
    assert all(60 <= b <= 230 for b in brightness) and min(brightness) < 120
    assert np.array_equal(match_lighting(layer, face, np.random.default_rng(1))[..., 3], layer[..., 3])  # alpha untouched


def test_samples_are_a_function_of_split_index_and_seed(assets: Path, data: OccludedFaces) -> None:
    a, b = data.sample("train", 7, seed=1), data.sample("train", 7, seed=1)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.target, b.target)
    assert not np.array_equal(a.image, data.sample("train", 7, seed=2).image)
    # a fresh dataset (a resumed run) after other samples were drawn still gives the very same sample
    fresh = zoo.build("dataset", "occluded_faces", faces=str(assets / "faces" / "glint"),
                      occluders=str(assets / "occluders"), resolution=32, max_per_identity=6)
    fresh.sample("test", 3, seed=9)
    c = fresh.sample("train", 7, seed=1)
    assert np.array_equal(a.image, c.image) and np.array_equal(a.target, c.target)
    occluder = data.bank("test").occluders[0]
    one, two = (data.sample_with("test", occluder, np.random.default_rng(4)) for _ in range(2))
    assert np.array_equal(one.image, two.image) and one.kinds == (occluder.category,)


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
