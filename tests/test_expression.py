"""The compositor's ``expression``: the source's 68 landmarks moved toward the template's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import zoo
from zoo_faces.expression import aligned_landmarks68, follow_landmarks, thin_plate_grid


def _coordinates(size: int) -> torch.Tensor:
    """A 1×2×S×S image whose pixels hold their own x, y: sampling it shows where a grid reads."""
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                            indexing="ij")
    return torch.stack([xs, ys])[None]


def test_the_spline_reads_each_wanted_point_from_the_matching_own_point_and_pins_the_border() -> None:
    size = 64
    rng = np.random.default_rng(0)
    wanted = rng.uniform(16, 48, (20, 2))
    own = wanted + 3 * np.sin(wanted[:, ::-1] / 12)  # a smooth move of up to 3 px, as between two expressions
    grid = torch.from_numpy(thin_plate_grid(wanted, own, size))[None]
    read = F.grid_sample(_coordinates(size), grid, mode="bilinear", padding_mode="border", align_corners=True)[0]
    at_wanted = read[:, np.round(wanted[:, 1]).astype(int), np.round(wanted[:, 0]).astype(int)].T.numpy()
    moved = np.abs(at_wanted - (np.round(wanted) + own - wanted)).max()
    assert moved < 0.75, moved  # the spline is smoothed and evaluated on a coarse grid: within a pixel
    border = torch.cat([read[:, 0], read[:, -1], read[:, :, 0], read[:, :, -1]], dim=1)
    expected = torch.cat([_coordinates(size)[0][:, 0], _coordinates(size)[0][:, -1],
                          _coordinates(size)[0][:, :, 0], _coordinates(size)[0][:, :, -1]], dim=1)
    assert (border - expected).abs().max() < 0.5


def test_landmarks_already_in_place_leave_the_image_unchanged() -> None:
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    points = np.random.default_rng(2).uniform(8, 24, (2, 68, 2))
    assert torch.allclose(follow_landmarks(images, points, points), images, atol=1e-4)


def test_a_template_expression_swap_lands_on_the_templates_landmarks(assets: Path) -> None:
    """Real faces, real dlib predictor: the 68-point distance to the template falls by a third or more."""
    faces = zoo.build("dataset", "aligned", root=str(assets / "faces" / "glint"))
    people: dict[int, int] = {}
    for index in range(len(faces)):
        people.setdefault(faces.identity(index), index)
    picked = list(people.values())[:8]
    templates = faces.images(picked, 64)
    sources = faces.images(picked[1:] + picked[:1], 64)
    landmarker = zoo.build("backbone", "dlib68")
    wanted = aligned_landmarks68(landmarker, templates)
    distances = {}
    for expression in (0.0, 1.0):
        swapped = zoo.build("backbone", "classical_compositor", expression=expression).swap(sources, templates)
        assert swapped.shape == templates.shape and torch.isfinite(swapped).all()
        distances[expression] = np.linalg.norm(aligned_landmarks68(landmarker, swapped) - wanted, axis=2).mean()
    assert distances[1.0] < 0.67 * distances[0.0], distances
