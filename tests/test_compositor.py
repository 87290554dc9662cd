"""The classical compositor: a weight-free swapper with the generator's call interface."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import zoo
from zoo_faces.align import canonical_landmarks, transform_points
from zoo_faces.blend import laplacian_pyramid
from zoo_faces.color import lab_to_rgb, rgb_to_lab
from zoo_faces.compositor import ClassicalCompositor
from zoo_faces.image import load_image, to_tensor
from zoo_faces.mask import face_mask


@pytest.fixture(scope="module")
def faces(assets) -> torch.Tensor:
    """Four real aligned 112 crops of four different people."""
    people = sorted(p for p in (assets / "faces" / "glint").iterdir() if p.is_dir())[:4]
    return torch.cat([to_tensor(load_image(sorted(person.glob("*.png"))[0])) for person in people])


def _inside(size: int) -> torch.Tensor:
    return torch.from_numpy(face_mask(size, canonical_landmarks(size)) == 1.0)


def _outside(size: int) -> torch.Tensor:
    return torch.from_numpy(face_mask(size, canonical_landmarks(size), feather=0.0) == 0.0)


def test_lab_roundtrip_and_reference_values():
    colours = torch.rand(2, 3, 5, 5)
    assert torch.allclose(lab_to_rgb(rgb_to_lab(colours)), colours, atol=1e-4)
    red = rgb_to_lab(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)).flatten()
    assert torch.allclose(red, torch.tensor([53.24, 80.09, 67.20]), atol=0.01)


def test_swapping_a_face_with_itself_returns_it(faces):
    assert torch.allclose(ClassicalCompositor()(faces, faces), faces, atol=2e-3)


def test_face_comes_from_the_source_and_the_rest_from_the_template(faces):
    source, template = faces[:2], faces[2:]
    swapped = ClassicalCompositor().swap(source, template)
    assert swapped.shape == template.shape and 0.0 <= float(swapped.min()) and float(swapped.max()) <= 1.0
    outside, inside = _outside(112), _inside(112)
    assert (swapped - template)[..., outside].abs().max() < 0.03  # background, hair: the template's
    detail = [laplacian_pyramid(image, 2)[0][..., inside] for image in (swapped, source, template)]
    to_source = (detail[0] - detail[1]).abs().mean()
    to_template = (detail[0] - detail[2]).abs().mean()
    assert to_source < 0.5 * to_template  # inner face detail: the source's (colours are the template's)


def test_colour_transfer_moves_the_source_to_the_template_skin(faces):
    source = faces[:1] * 0.5  # a much darker version of person 0
    template = faces[1:2]
    inside = _inside(112)
    matched = ClassicalCompositor(color_transfer=True)(source, template)
    unmatched = ClassicalCompositor(color_transfer=False, template_lighting=False)(source, template)
    template_lightness = rgb_to_lab(template)[:, 0][..., inside].mean()
    assert abs(rgb_to_lab(matched)[:, 0][..., inside].mean() - template_lightness) < 5.0
    assert abs(rgb_to_lab(unmatched)[:, 0][..., inside].mean() - template_lightness) > 10.0


def test_batched_equals_one_at_a_time_and_is_deterministic(faces):
    compositor = ClassicalCompositor()
    batched = compositor(faces[:2], faces[2:])
    single = torch.cat([compositor(faces[i : i + 1], faces[i + 2 : i + 3]) for i in range(2)])
    assert torch.allclose(batched, single, atol=1e-6)
    assert torch.equal(batched, compositor(faces[:2], faces[2:]))


def test_source_at_another_resolution_is_resized_to_the_template(faces):
    big_source = torch.nn.functional.interpolate(faces[:1], size=(224, 224), mode="bilinear", align_corners=False)
    assert ClassicalCompositor()(big_source, faces[1:2]).shape == (1, 3, 112, 112)


def test_landmarks_place_a_non_canonical_source_onto_the_template(faces):
    # The source crop is person 0 shifted 10 px right and 6 px down: its landmarks say so.
    shifted = torch.roll(faces[:1], shifts=(6, 10), dims=(2, 3))
    landmarks = torch.from_numpy(canonical_landmarks(112) + [10.0, 6.0])[None]
    with_landmarks = ClassicalCompositor()(shifted, faces[1:2], source_landmarks=landmarks)
    canonical = ClassicalCompositor()(faces[:1], faces[1:2])
    inside = _inside(112)
    assert (with_landmarks - canonical)[..., inside].abs().mean() < 0.02
    ignored = ClassicalCompositor()(shifted, faces[1:2])
    assert (ignored - canonical)[..., inside].abs().mean() > 0.04


def test_mask_follows_template_landmarks(faces):
    template_landmarks = transform_points(canonical_landmarks(112), np.array([[0.8, 0.0, 11.0], [0.0, 0.8, 11.0]]))
    swapped = ClassicalCompositor()(faces[:1], faces[1:2], template_landmarks=template_landmarks[None])
    corner = torch.zeros(112, 112, dtype=torch.bool)
    corner[:12, :] = True
    assert (swapped - faces[1:2])[..., corner].abs().max() < 0.03


def test_bad_shapes_are_refused(faces):
    with pytest.raises(ValueError, match="same N"):
        ClassicalCompositor()(faces[:1], faces[:2])
    with pytest.raises(ValueError, match=r"expected 1×5×2 landmarks"):
        ClassicalCompositor()(faces[:1], faces[1:2], source_landmarks=np.zeros((1, 68, 2)))


def test_built_by_name_with_no_weights():
    built = zoo.build("backbone", "classical_compositor", mask="ellipse")
    assert isinstance(built, ClassicalCompositor) and built.mask == "ellipse"
    assert len(built.state_dict()) == 0
    with pytest.raises(zoo.errors.ArgumentError, match="mask"):
        zoo.build("backbone", "classical_compositor", mask="square")
