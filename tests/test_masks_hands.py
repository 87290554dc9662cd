"""Procedural hands: reproducible, reaching over the face, shaded like skin, and drawn as often as the dataset says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

import zoo
from zoo_masks.dataset import face_region
from zoo_masks.hands import procedural_hand

SIZE = 64
FACE = np.full((SIZE, SIZE, 3), (196, 150, 120), dtype=np.uint8)


def test_a_hand_is_a_function_of_the_generator_state() -> None:
    a = procedural_hand(SIZE, FACE, np.random.default_rng(5))
    b = procedural_hand(SIZE, FACE, np.random.default_rng(5))
    assert a.shape == (SIZE, SIZE, 4) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, procedural_hand(SIZE, FACE, np.random.default_rng(6)))


def test_hands_reach_over_the_face_and_leave_part_of_it_visible() -> None:
    region = face_region(SIZE) > 0
    covered = []
    for seed in range(60):
        alpha = procedural_hand(SIZE, FACE, np.random.default_rng(seed))[..., 3] / 255.0
        covered.append(float((alpha[region] > 0.5).mean()))
    covered_array = np.array(covered)
    assert (covered_array > 0.02).mean() >= 0.95  # the fingers end on the face, not beside it
    assert 0.08 < float(np.median(covered_array)) < 0.6 and covered_array.max() < 0.95


def test_a_hand_is_shaded_not_a_flat_sticker() -> None:
    for seed in range(10):
        hand = procedural_hand(SIZE, FACE, np.random.default_rng(seed))
        inside = hand[..., 3] == 255
        brightness = hand[..., :3].astype(np.float32).mean(2)[inside]
        # rounded fingers are darker at their edges and creases than on their ridges
        assert np.percentile(brightness, 95) > 1.2 * np.percentile(brightness, 5)


def test_the_dataset_draws_hands_as_their_share_of_procedural_occluders(assets: Path) -> None:
    def procedural_kinds(hands: float) -> Counter:
        data = zoo.build("dataset", "occluded_faces", faces=str(assets / "faces" / "glint"),
                         occluders=str(assets / "occluders"), resolution=32, max_per_identity=2, hands=hands)
        kinds = Counter(kind for index in range(200) for kind in data.sample("train", index, seed=0).kinds)
        return Counter({kind: kinds[kind] for kind in ("hand", "bar", "hair")})

    default = procedural_kinds(0.6)
    assert 0.45 < default["hand"] / sum(default.values()) < 0.75
    assert procedural_kinds(0.0)["hand"] == 0
