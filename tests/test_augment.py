"""Augmentation keeps every label pixel-aligned with its template; the source is augmented on its own."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from zoo_datasets.augment import PairedAugment, sample_seed
from zoo_datasets.samples import SampleSet, build_triplets, to_uint8
from zoo_synthfaces.dataset import SynthFaces

STRONG = dict(flip=0.5, rotate=20.0, scale=0.1, shift=0.08, geometry=1.0, colour=0.3, colour_p=1.0)


@pytest.fixture(scope="module")
def faces() -> SynthFaces:
    return SynthFaces(identities=3, images_per_identity=2, seed=4)


def as_array(image: torch.Tensor) -> np.ndarray:
    return to_uint8(image).permute(1, 2, 0).numpy().copy()


def test_template_and_label_get_one_draw(faces: SynthFaces) -> None:
    template = as_array(faces.image(1, 64))
    source = as_array(faces.image(4, 64))
    augment = PairedAugment(**STRONG)
    for seed in range(6):
        source_out, template_out, label_out = augment(source, template, template.copy(), seed=seed)
        assert np.array_equal(template_out, label_out)  # identical inputs stay identical: same geometry, same colour
        assert np.abs(template_out.astype(int) - template).mean() > 3  # and something really happened
        assert source_out.shape == source.shape


def test_source_is_drawn_independently(faces: SynthFaces) -> None:
    image = as_array(faces.image(2, 48))
    augment = PairedAugment(**STRONG)
    different = [not np.array_equal(*augment(image, image, image, seed=seed)[:2]) for seed in range(4)]
    assert all(different)


def test_a_larger_label_is_transformed_alike(faces: SynthFaces) -> None:
    """P8 samples: a 2× label gets the same relative transform as its template."""
    template, label = as_array(faces.image(0, 48)), as_array(faces.image(0, 96))
    augment = PairedAugment(**STRONG)
    for seed in range(4):
        _, template_out, label_out = augment(template, template, label, seed=seed)
        assert label_out.shape == (96, 96, 3)
        shrunk = cv2.resize(label_out, (48, 48), interpolation=cv2.INTER_AREA).astype(int)
        assert np.abs(shrunk - template_out).mean() < 6  # resampling differences only
        assert np.abs(shrunk - template).mean() > np.abs(shrunk - template_out).mean() + 5


def test_same_seed_same_result(faces: SynthFaces) -> None:
    image = as_array(faces.image(3, 32))
    first = PairedAugment(**STRONG)(image, image, image, seed=11)
    again = PairedAugment(**STRONG)(image, image, image, seed=11)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def test_batches_augment_reproducibly_and_keep_labels_aligned(faces: SynthFaces) -> None:
    swaps = build_triplets(faces, resolution=32, quantity=6, swapper="exact", seed=0)
    aligned = SampleSet("triplet", swaps.source, swaps.template, swaps.template.clone(), swaps.source_identity)
    augment = PairedAugment(**STRONG)
    batch = aligned.batch(range(6), augment=augment, seed=3)
    assert torch.equal(batch["template"], batch["label"])
    assert not torch.equal(batch["template"], aligned.batch(range(6))["template"])
    assert torch.equal(batch["source"], aligned.batch(range(6), augment=augment, seed=3)["source"])
    assert not torch.equal(batch["source"], aligned.batch(range(6), augment=augment, seed=4)["source"])


def test_sample_seeds_differ_per_sample_and_per_seed() -> None:
    seeds = {sample_seed(seed, index) for seed in range(3) for index in range(50)}
    assert len(seeds) == 150
    assert sample_seed(1, 2) == sample_seed(1, 2)


def test_built_by_schema_rejects_bad_probability() -> None:
    from zoo.schema import schema_for, validate_args
    from pydantic import ValidationError

    schema = schema_for(PairedAugment, "augment")
    assert validate_args(schema, {"flip": 0.0})["flip"] == 0.0
    with pytest.raises(ValidationError):
        validate_args(schema, {"flip": 1.5})


TRAIN_RECIPE = """\
name: augmented
seed: 0
data: {{dataset: synthfaces, identities: 6, images_per_identity: 3}}
model:
  generator: {{backbone: masked_swap, resolution: 16, channels: 8, max_channels: 16, downsamples: 1, blocks: 1, id_dim: 8}}
losses: [{{loss: pixel}}]
stages:
  - {{stage: build_groups, resolution: 16, quantity: 8, swapper: exact}}
  - {{stage: train, steps: 3, batch_size: 4, augment: {augment}}}
  - stage: export
output: {{dir: {run}}}
"""


def _trained(tmp_path, name: str, augment: str) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    from zoo import load_recipe, run

    path = tmp_path / f"{name}.yaml"
    path.write_text(TRAIN_RECIPE.format(augment=augment, run=tmp_path / name))
    run(load_recipe(path))
    (weights,) = (tmp_path / name / "model").glob("*.safetensors")
    return load_file(str(weights))


def test_the_train_stage_augments_by_name_reproducibly(tmp_path) -> None:
    plain = _trained(tmp_path, "plain", "none")
    first = _trained(tmp_path, "first", "paired_augment")
    again = _trained(tmp_path, "again", "{name: paired_augment, flip: 1.0}")
    same = _trained(tmp_path, "same", "paired_augment")
    assert all(torch.equal(first[name], same[name]) for name in first)  # the same draws on every run
    assert any(not torch.equal(first[name], plain[name]) for name in first)  # augmentation reached the batches
    assert any(not torch.equal(first[name], again[name]) for name in first)  # and its arguments too


def test_each_step_draws_anew() -> None:
    from zoo_curriculum.train import augment_seed

    seeds = {augment_seed(0, stage, step) for stage in range(3) for step in range(1000)}
    assert len(seeds) == 3000
    assert augment_seed(1, 0, 0) != augment_seed(0, 0, 0)
