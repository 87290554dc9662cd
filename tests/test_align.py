"""zoo_faces.align / mask / blend: the canonical template, similarity transforms, paste-back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from zoo_faces.align import (
    ARCFACE_112,
    align_face,
    canonical_landmarks,
    estimate_similarity,
    invert_affine,
    paste_back,
    transform_points,
    umeyama,
    warp_affine,
)
from zoo_faces.blend import gaussian_pyramid, laplacian_blend, laplacian_pyramid
from zoo_faces.mask import face_mask


def _similarity(angle_degrees: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    angle = np.deg2rad(angle_degrees)
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return np.hstack([rotation, np.array(shift)[:, None]])


def test_template_scales_about_pixel_centres():
    assert np.allclose(canonical_landmarks(112), ARCFACE_112)
    # Box-downsampling a 224 crop by 2 must land on the 112 template.
    assert np.allclose((canonical_landmarks(224) + 0.5) / 2 - 0.5, ARCFACE_112)


def test_umeyama_recovers_a_known_similarity():
    truth = _similarity(23.0, 1.7, (40.0, -12.0))
    points = np.random.default_rng(1).uniform(0, 100, (7, 2))
    assert np.allclose(umeyama(points, transform_points(points, truth)), truth, atol=1e-9)


def test_umeyama_never_reflects():
    points = canonical_landmarks(112)
    mirrored = points * [-1.0, 1.0]
    matrix = umeyama(points, mirrored)
    assert np.linalg.det(matrix[:, :2]) > 0


def test_estimate_similarity_maps_landmarks_onto_the_template():
    truth = _similarity(-15.0, 3.2, (300.0, 120.0))
    photo_landmarks = transform_points(ARCFACE_112, truth)
    matrix = estimate_similarity(photo_landmarks, 256)
    assert np.allclose(transform_points(photo_landmarks, matrix), canonical_landmarks(256), atol=1e-6)
    inverse = invert_affine(matrix)
    assert np.allclose(transform_points(canonical_landmarks(256), inverse), photo_landmarks, atol=1e-6)


def test_estimate_similarity_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="expected 5×2 landmarks"):
        estimate_similarity(np.zeros((68, 2)), 112)


def _dots_photo(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    photo = np.zeros((*shape, 3), dtype=np.uint8)
    for (x, y), colour in zip(landmarks, [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]):
        cv2.circle(photo, (round(x), round(y)), 6, colour, -1)
    return photo


def _centroid(image: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    match = np.all(np.abs(image.astype(int) - colour) < 60, axis=2)
    ys, xs = np.nonzero(match)
    return np.array([xs.mean(), ys.mean()])


def test_align_face_puts_each_landmark_on_its_template_point():
    landmarks = transform_points(ARCFACE_112, _similarity(30.0, 2.5, (200.0, 50.0)))
    photo = _dots_photo(landmarks, (480, 480))
    aligned = align_face(photo, landmarks, 128)
    assert aligned.crop.shape == (128, 128, 3)
    target = canonical_landmarks(128)
    for index, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        assert np.abs(_centroid(aligned.crop, colour) - target[index]).max() < 1.0


def test_torch_warp_matches_opencv():
    image = np.random.default_rng(2).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    matrix = _similarity(12.0, 0.8, (10.0, 5.0))
    expected = cv2.warpAffine(image, matrix, (50, 40), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    warped = warp_affine(tensor, torch.from_numpy(matrix)[None], (40, 50))[0].permute(1, 2, 0).numpy()
    assert np.abs(warped - expected.astype(np.float32)).mean() < 0.6


def test_mask_is_soft_inside_and_zero_outside():
    for kind in ("hull", "ellipse"):
        mask = face_mask(112, canonical_landmarks(112), kind=kind)
        assert mask.dtype == np.float32 and mask.min() == 0.0 and mask.max() == 1.0
        nose = np.round(canonical_landmarks(112)[2]).astype(int)
        assert mask[nose[1], nose[0]] == 1.0
        assert mask[0, 0] == 0.0 and mask[2, 56] == 0.0
        assert ((mask > 0.05) & (mask < 0.95)).sum() > 200  # feathered, not a hard edge


def test_mask_follows_the_landmarks():
    turned = transform_points(canonical_landmarks(112), _similarity(90.0, 1.0, (111.0, 0.0)))  # pixel (x, y) -> (111 - y, x)
    rotated_mask = face_mask(112, turned)
    expected = np.rot90(face_mask(112, canonical_landmarks(112)), k=-1)
    assert np.abs(rotated_mask - expected).mean() < 0.01


def test_laplacian_pyramid_reconstructs_exactly():
    image = torch.rand(2, 3, 37, 50)
    bands = laplacian_pyramid(image, 4)
    rebuilt = bands[-1]
    for band in reversed(bands[:-1]):
        rebuilt = band + torch.nn.functional.interpolate(rebuilt, size=band.shape[-2:], mode="bilinear",
                                                         align_corners=False)
    assert torch.allclose(rebuilt, image, atol=1e-5)


def test_laplacian_blend_respects_the_mask():
    front, back = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64)
    assert torch.allclose(laplacian_blend(front, back, torch.ones(1, 1, 64, 64)), front, atol=1e-5)
    assert torch.allclose(laplacian_blend(front, back, torch.zeros(1, 1, 64, 64)), back, atol=1e-5)
    half = torch.zeros(1, 1, 64, 64)
    half[..., :32] = 1.0
    mixed = laplacian_blend(front, back, half)
    assert torch.allclose(mixed[..., :, :8], front[..., :, :8], atol=0.05)
    assert torch.allclose(mixed[..., :, -8:], back[..., :, -8:], atol=0.05)


def test_laplacian_blend_is_the_band_by_band_mix_of_both_pyramids():
    """The blend computes one pyramid (of foreground - background); it must equal Burt & Adelson's
    definition: each band of both pyramids mixed by the mask's Gaussian pyramid, then collapsed."""
    generator = torch.Generator().manual_seed(5)
    front, back = torch.rand(2, 3, 45, 61, generator=generator), torch.rand(2, 3, 45, 61, generator=generator)
    mask = torch.rand(2, 1, 45, 61, generator=generator)
    weights, fronts, backs = gaussian_pyramid(mask, 3), laplacian_pyramid(front, 3), laplacian_pyramid(back, 3)
    for background_base in (False, True):
        bands = [w * f + (1 - w) * b for w, f, b in zip(weights, fronts, backs)]
        if background_base:
            bands[-1] = gaussian_pyramid(back, 3)[-1]
        expected = bands[-1]
        for band in reversed(bands[:-1]):
            expected = band + torch.nn.functional.interpolate(expected, size=band.shape[-2:], mode="bilinear",
                                                              align_corners=False)
        result = laplacian_blend(front, back, mask, levels=3, background_base=background_base)
        assert torch.allclose(result, expected.clamp(0, 1), atol=1e-6)


def test_gaussian_pyramid_level_is_the_blurred_image_subsampled():
    image = torch.rand(1, 2, 13, 10, generator=torch.Generator().manual_seed(6))
    kernel = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    padded = torch.nn.functional.pad(image, (2, 2, 2, 2), mode="reflect")
    blurred = torch.nn.functional.conv2d(padded, (kernel[:, None] * kernel[None, :]).expand(2, 1, 5, 5), groups=2)
    assert torch.allclose(gaussian_pyramid(image, 1)[1], blurred[..., ::2, ::2], atol=1e-6)


def _face_photo() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    photo = cv2.GaussianBlur(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8), (0, 0), 3)
    return photo, transform_points(ARCFACE_112, _similarity(10.0, 1.5, (120.0, 60.0)))


def test_pasting_back_the_unchanged_crop_leaves_the_photo_as_it_was():
    photo, landmarks = _face_photo()
    aligned = align_face(photo, landmarks, 256)
    result = paste_back(photo, aligned.crop, aligned.matrix)
    assert result.shape == photo.shape and result.dtype == np.uint8
    assert np.abs(result.astype(int) - photo).mean() < 1.0


def test_paste_back_changes_the_face_and_nothing_far_from_it():
    photo, landmarks = _face_photo()
    aligned = align_face(photo, landmarks, 128)
    red = np.zeros_like(aligned.crop)
    red[...] = (255, 0, 0)
    result = paste_back(photo, torch.from_numpy(red).permute(2, 0, 1).float() / 255, aligned.matrix)
    nose = np.round(landmarks[2]).astype(int)
    assert result[nose[1], nose[0]].tolist() == [255, 0, 0]
    assert np.array_equal(result[:, 330:], photo[:, 330:])
    assert np.array_equal(result[280:], photo[280:])


def test_face_partly_outside_the_frame():
    photo, _ = _face_photo()
    landmarks = transform_points(ARCFACE_112, _similarity(0.0, 2.0, (-60.0, 150.0)))  # left half off-frame
    aligned = align_face(photo, landmarks, 112)
    assert aligned.crop.shape == (112, 112, 3)
    green = np.zeros_like(aligned.crop)
    green[...] = (0, 255, 0)
    result = paste_back(photo, green, aligned.matrix)
    assert result.shape == photo.shape
    nose = np.round(landmarks[2]).astype(int)
    assert result[nose[1], nose[0]].tolist() == [0, 255, 0]


def test_face_entirely_outside_the_frame_changes_nothing():
    photo, _ = _face_photo()
    landmarks = transform_points(ARCFACE_112, _similarity(0.0, 1.0, (-500.0, -500.0)))
    matrix = estimate_similarity(landmarks, 112)
    assert np.array_equal(paste_back(photo, np.zeros((112, 112, 3), np.uint8), matrix), photo)
