"""synthfaces: exact ground truth, determinism, any resolution, faces a real detector and encoder accept."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import zoo
from zoo_synthfaces.dataset import SynthFaces
from zoo_synthfaces.params import ATTRIBUTE_FIELDS, IDENTITY_FIELDS, attribute_params, identity_params
from zoo_synthfaces.render import TEMPLATE_112, _Canvas, render_faces


@pytest.fixture(scope="module")
def faces() -> SynthFaces:
    return SynthFaces(identities=6, images_per_identity=4, seed=3)


def test_built_by_name_with_identity_layout() -> None:
    dataset = zoo.build("dataset", "synthfaces", identities=5, images_per_identity=3, seed=1)
    assert isinstance(dataset, SynthFaces)
    assert len(dataset) == 15
    assert dataset.identities() == [i // 3 for i in range(15)]
    assert dataset.native_resolution is None and dataset.supports_exact_swap


def test_swapping_a_face_with_itself_returns_it_exactly(faces: SynthFaces) -> None:
    indices = list(range(0, len(faces), 2))
    for resolution in (37, 64):
        assert torch.equal(faces.exact_swaps(indices, indices, resolution), faces.images(indices, resolution))


def test_source_identity_with_template_attributes_is_the_ground_truth(faces: SynthFaces) -> None:
    sources, templates = [0, 5, 9, 14], [23, 2, 17, 6]
    truth = faces.exact_swaps(sources, templates, 48)
    rendered = render_faces(faces.identity_params(sources), faces.attribute_params(templates), 48)
    assert torch.equal(truth, rendered)
    # a template of the source's own person: its ground-truth swap is that template itself
    same_person = faces.exact_swaps([1], [3], 48)[0]
    assert torch.equal(same_person, faces.image(3, 48))


def test_swap_changes_the_person_and_keeps_the_scene(faces: SynthFaces) -> None:
    swap = faces.exact_swap(0, 13, 64)
    template, source = faces.image(13, 64), faces.image(0, 64)
    assert torch.equal(swap[:, :3, :3], template[:, :3, :3])  # background corner: an attribute
    assert (swap - template).abs().mean() > 0.02
    assert (swap - source).abs().mean() > 0.02


def test_pixels_do_not_depend_on_batching(faces: SynthFaces) -> None:
    ids = identity_params(3, [0, 1, 2, 3, 4])
    attrs = attribute_params(3, [7, 8, 9, 10, 11])
    batch = render_faces(ids, attrs, 45)
    for row in (0, 3):
        alone = render_faces({k: v[row : row + 1] for k, v in ids.items()}, {k: v[row : row + 1] for k, v in attrs.items()}, 45)
        assert torch.equal(alone[0], batch[row])


def test_windowed_painting_equals_full_canvas_painting(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = identity_params(11, list(range(40)))
    attrs = attribute_params(11, list(range(40)))
    windowed = render_faces(ids, attrs, 41)
    monkeypatch.setattr(_Canvas, "use_windows", False)
    assert torch.equal(render_faces(ids, attrs, 41), windowed)


def test_same_seed_same_faces_other_seed_other_faces() -> None:
    first = SynthFaces(identities=3, images_per_identity=2, seed=5).images([0, 4], 32)
    again = SynthFaces(identities=3, images_per_identity=2, seed=5).images([0, 4], 32)
    other = SynthFaces(identities=3, images_per_identity=2, seed=6).images([0, 4], 32)
    assert torch.equal(first, again)
    assert (first - other).abs().mean() > 0.05


def test_identity_does_not_depend_on_dataset_size() -> None:
    small = SynthFaces(identities=2, images_per_identity=2, seed=0)
    large = SynthFaces(identities=50, images_per_identity=2, seed=0)
    assert torch.equal(small.images([3], 40), large.images([3], 40))


@pytest.mark.parametrize("resolution", [8, 31, 112, 181])
def test_any_resolution_in_unit_range(faces: SynthFaces, resolution: int) -> None:
    image = faces.image(5, resolution)
    assert image.shape == (3, resolution, resolution)
    assert image.dtype == torch.float32
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_resolutions_agree_after_downsizing(faces: SynthFaces) -> None:
    """Antialiased rendering: a 256 px face area-downsized to 64 px is close to the 64 px rendering."""
    big = torch.nn.functional.avg_pool2d(faces.images([2, 7], 256), 4)
    small = faces.images([2, 7], 64)
    assert (big - small).abs().mean() < 0.01


def test_parameters_split_identity_from_attributes() -> None:
    assert not set(IDENTITY_FIELDS) & set(ATTRIBUTE_FIELDS)
    assert {"skin_r", "hair_style", "eye_w", "nose_w", "mouth_w", "iris_r", "brow_thick"} <= set(IDENTITY_FIELDS)
    assert {"yaw", "roll_cos", "smile", "mouth_open", "eyes_open", "light_x", "bg1_r"} <= set(ATTRIBUTE_FIELDS)


def test_cache_is_consistent_with_fresh_rendering(faces: SynthFaces) -> None:
    first = faces.images([1, 2, 1], 24)
    assert torch.equal(first[0], first[2])
    assert torch.equal(first, SynthFaces(identities=6, images_per_identity=4, seed=3).images([1, 2, 1], 24))


def test_out_of_range_index_is_an_error(faces: SynthFaces) -> None:
    with pytest.raises(IndexError, match=r"face indices \[24\] out of range"):
        faces.images([24], 16)


def test_a_real_face_detector_finds_them_on_the_template(assets) -> None:
    """RetinaFace (MobileNet-0.25) sees faces, with eyes where the ArcFace template puts them."""
    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    detector = zoo.build("detector", "retinaface", body="mobilenet0.25", weights=str(weights))
    crops = SynthFaces(identities=4, images_per_identity=1, seed=1).images(range(4), 112)
    photos = [np.pad((c.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), ((112, 112), (112, 112), (0, 0)), mode="edge") for c in crops]
    found = [d for d in detector.detect(photos) if len(d.scores)]
    assert len(found) >= 3
    eyes = np.stack([d.landmarks[0][:2] - 112 for d in found])
    assert np.abs(eyes - np.array(TEMPLATE_112[:2])).mean() < 6.0


def test_identities_are_told_apart_by_a_real_face_encoder(assets) -> None:
    weights = assets / "weights" / "mobilefacenet_casia.safetensors"
    encoder = zoo.build("backbone", "mobilefacenet", weights=str(weights))
    dataset = SynthFaces(identities=6, images_per_identity=3, seed=2)
    with torch.no_grad():
        embeddings = encoder(dataset.images(range(len(dataset)), 112))
    similarity = embeddings @ embeddings.T
    similarity.fill_diagonal_(-2.0)
    labels = torch.tensor(dataset.identities())
    top1 = (labels[similarity.argmax(1)] == labels).float().mean().item()
    assert top1 >= 0.8  # chance is 2/17
