"""Region masks from 68 landmarks, checked on the 300-W ground truth of AFW (337 faces)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from zoo.errors import ZooError
from zoo_faces.mask import face_mask
from zoo_masks.regions import RegionSelection, parse_regions, region_mask


@pytest.fixture(scope="module")
def afw(assets: Path) -> list[tuple[tuple[int, int], np.ndarray]]:
    """(canvas height/width, 68×2 ground-truth points) for every AFW face, on a canvas around the face.

    Masks are pure geometry, so a canvas of the face's extent (plus a margin) gives the same pixels
    as the whole photo, shifted, at a fraction of the cost.
    """
    faces = []
    for pts in sorted((assets / "faces" / "afw68").glob("*.pts")):
        points = np.loadtxt(pts)
        assert points.shape == (68, 2), pts
        margin = 0.3 * float(np.ptp(points, axis=0).max())
        low = np.floor(points.min(0) - margin)
        height, width = (np.ceil(points.max(0) + margin) - low).astype(int)[::-1]
        faces.append(((int(height), int(width)), points - low))
    assert len(faces) == 337
    return faces


def _hits(mask: np.ndarray, points: np.ndarray, tolerance: bool = True) -> np.ndarray:
    """Which points fall in the mask (within one pixel: the smallest AFW eyes are 4 px wide)."""
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)) if tolerance else mask
    h, w = mask.shape
    return mask[np.clip(np.round(points[:, 1]).astype(int), 0, h - 1), np.clip(np.round(points[:, 0]).astype(int), 0, w - 1)] > 0


def test_regions_hold_their_own_landmarks_and_not_the_others(afw: list) -> None:
    halves_wrong = 0
    for size, points in afw:
        contour, mouth, eyes, upper, lower = (region_mask(size, points, name) for name in
                                              ("contour", "mouth", "eyes", "upper_face", "lower_face"))
        assert _hits(contour, points[27:68]).all()  # nose, eyes and lips are inside the jaw + brow outline
        assert _hits(mouth, points[60:68]).all() and not _hits(mouth, points[36:48], False).any()
        assert _hits(eyes, points[36:48]).all() and not _hits(eyes, points[48:68], False).any()
        # eyes above the nose base, inner lips below it (2 of 337 faces, heads thrown back, put lips at that line)
        halves_wrong += not (_hits(upper, points[36:48]).all() and _hits(lower, points[60:68]).all())
        # the halves tile the contour exactly
        assert not (upper * lower).any() and np.array_equal(np.maximum(upper, lower), contour)
    assert halves_wrong <= 0.01 * len(afw)


def test_exclusion_cuts_a_region_out(afw: list) -> None:
    size, points = afw[0]
    kept = region_mask(size, points, "contour,-mouth")
    assert np.array_equal(kept, region_mask(size, points, "contour") * (1 - region_mask(size, points, "mouth")))
    assert np.array_equal(region_mask(size, points, "-mouth"), kept)  # only exclusions: the contour minus them
    batch = region_mask(size, np.stack([points, points + 3]), RegionSelection(("eyes",)))
    assert batch.shape == (2, *size) and not np.array_equal(batch[0], batch[1])


def test_contour_is_tighter_than_the_five_point_hull_on_turned_heads(afw: list) -> None:
    """The hull (from the 5 points derived from the ground truth) spills past the real outline, more when turned."""
    spill, turn = [], []
    for size, points in afw:
        five = np.stack([points[36:42].mean(0), points[42:48].mean(0), points[30], points[48], points[54]])
        hull = face_mask(size, five, "hull", feather=0) > 0
        contour = region_mask(size, points, "contour") > 0
        spill.append((hull & ~contour).sum() / hull.sum())
        turn.append(abs((points[30, 0] - points[0, 0]) / (points[16, 0] - points[0, 0]) - 0.5))
    spill, turn = np.array(spill), np.array(turn)
    frontal, turned = spill[turn < 0.1].mean(), spill[turn > 0.2].mean()
    assert turned > frontal + 0.05  # measured: 16.5 % of the hull lies outside the face when turned, 8.5 % frontal


@pytest.mark.parametrize("text, expected", [
    ("nose", "unknown region 'nose'"),
    ("contour,-chin", "unknown region 'chin'"),
    (" , ", "name at least one region"),
])
def test_bad_region_names_are_one_line(text: str, expected: str) -> None:
    with pytest.raises(ZooError, match=expected) as error:
        parse_regions(text)
    assert "\n" not in str(error.value) and "--mask-regions" in str(error.value)
