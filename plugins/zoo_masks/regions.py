"""Face regions from 68-point landmarks (iBUG 300-W order): pure geometry, no model.

Five points say where the eyes and mouth are but not where the face ends, so the 5-point hull
of :mod:`zoo_faces.mask` spills past the cheek of a turned head. The 68-point jaw line and brows
trace the real outline (``contour``), and the same points delimit areas a user may keep from the
target (``-mouth`` keeps the target's own lips for speech in video).

Indices (0-based): jaw 0–16, brows 17–26, nose 27–35 (tip 30, base 33), eyes 36–41 / 42–47,
outer lips 48–59, inner lips 60–67.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from zoo.errors import ZooError

__all__ = ["REGIONS", "RegionSelection", "parse_regions", "region_mask", "region_polygons"]

REGIONS = ("contour", "upper_face", "lower_face", "mouth", "eyes")
"""Areas a selection may name: the whole outline, its halves above/below the nose base, lips, eyes."""

_JAW_AND_BROWS = slice(0, 27)
_EYES = (slice(36, 42), slice(42, 48))
_OUTER_LIPS = slice(48, 60)
_NOSE_BASE = 33
# Eyes grow about their centre to take in the lids; lips a little for the skin that moves with them.
_EYE_GROWTH = 1.4
_LID_HEIGHT = 0.3  # of the eye's width, above and below its centre
_MOUTH_GROWTH = 1.15


@dataclass(frozen=True)
class RegionSelection:
    """Regions unioned (``include``), then regions cut out of that union (``exclude``)."""

    include: tuple[str, ...] = ("contour",)
    exclude: tuple[str, ...] = ()

    def __str__(self) -> str:
        return ",".join([*self.include, *(f"-{name}" for name in self.exclude)])


def parse_regions(text: str, where: str = "--mask-regions") -> RegionSelection:
    """``"contour,-mouth"`` → include contour, exclude mouth; only exclusions mean ``contour`` minus them."""
    include: list[str] = []
    exclude: list[str] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        name = item[1:].strip() if item.startswith("-") else item
        if name not in REGIONS:
            raise ZooError(f"{where} {text!r}: unknown region {name!r} (regions: {', '.join(REGIONS)}; prefix '-' to exclude)")
        (exclude if item.startswith("-") else include).append(name)
    if not include and not exclude:
        raise ZooError(f"{where} {text!r}: name at least one region ({', '.join(REGIONS)})")
    return RegionSelection(tuple(include) or ("contour",), tuple(exclude))


def _checked(landmarks: np.ndarray) -> np.ndarray:
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"expected 68×2 landmarks (iBUG 300-W order), got {points.shape}")
    return points


def _hull(points: np.ndarray) -> np.ndarray:
    return cv2.convexHull(points.astype(np.float32))[:, 0].astype(np.float64)


def _grown(points: np.ndarray, factor: float) -> np.ndarray:
    centre = points.mean(0)
    return _hull(centre + (points - centre) * factor)


def _eye(points: np.ndarray) -> np.ndarray:
    """The eye and its lids: its six points plus lid height above and below (a closed eye is still an area)."""
    axis = points[3] - points[0]
    normal = np.array([-axis[1], axis[0]]) * _LID_HEIGHT
    centre = points.mean(0)
    return _grown(np.vstack([points, centre + normal, centre - normal]), _EYE_GROWTH)


def _half(contour: np.ndarray, landmarks: np.ndarray, upper: bool) -> np.ndarray:
    """The contour cut by the line through the nose base, perpendicular to the eyes→mouth axis."""
    eyes = landmarks[36:48].mean(0)
    down = landmarks[_OUTER_LIPS].mean(0) - eyes
    down /= max(float(np.hypot(*down)), 1e-9)
    side = (contour - landmarks[_NOSE_BASE]) @ down  # < 0 above the nose base
    keep = side <= 0 if upper else side >= 0
    # Sutherland–Hodgman against one half-plane: keep the polygon's vertices on our side plus crossings.
    out: list[np.ndarray] = []
    for i in range(len(contour)):
        a, b = contour[i], contour[(i + 1) % len(contour)]
        sa, sb = side[i], side[(i + 1) % len(contour)]
        if keep[i]:
            out.append(a)
        if (sa < 0) != (sb < 0) and sa != sb:
            out.append(a + (b - a) * (sa / (sa - sb)))
    return np.array(out) if len(out) >= 3 else np.zeros((0, 2))


def region_polygons(landmarks: np.ndarray, region: str) -> list[np.ndarray]:
    """The outlines (each M×2, pixels) that make up ``region`` for one face's 68 landmarks."""
    points = _checked(landmarks)
    contour = _hull(points[_JAW_AND_BROWS])
    if region == "contour":
        return [contour]
    if region in ("upper_face", "lower_face"):
        return [_half(contour, points, upper=region == "upper_face")]
    if region == "mouth":
        return [_grown(points[_OUTER_LIPS], _MOUTH_GROWTH)]
    if region == "eyes":
        return [_eye(points[eye]) for eye in _EYES]
    raise ValueError(f"unknown region {region!r} (regions: {', '.join(REGIONS)})")


def _fill(size: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    subpixel = 4
    canvas = np.zeros(size, dtype=np.uint8)
    shapes = [np.round(p * (1 << subpixel)).astype(np.int32) for p in polygons if len(p) >= 3]
    if shapes:
        cv2.fillPoly(canvas, shapes, 255, cv2.LINE_8, subpixel)
    return canvas > 0


def region_mask(
    size: int | tuple[int, int],
    landmarks: np.ndarray,
    selection: RegionSelection | str = RegionSelection(),
) -> np.ndarray:
    """Hard masks (float32 0/1) of the selected regions: H×W for 68×2 landmarks, K×H×W for K×68×2."""
    height, width = (size, size) if isinstance(size, int) else size
    chosen = parse_regions(selection) if isinstance(selection, str) else selection
    points = np.asarray(landmarks, dtype=np.float64)
    if points.ndim == 3:
        return np.stack([region_mask((height, width), face, chosen) for face in points]) if len(points) else \
            np.zeros((0, height, width), np.float32)
    inside = np.zeros((height, width), dtype=bool)
    for name in chosen.include:
        inside |= _area((height, width), points, name)
    for name in chosen.exclude:
        inside &= ~_area((height, width), points, name)
    return inside.astype(np.float32)


def _area(size: tuple[int, int], points: np.ndarray, name: str) -> np.ndarray:
    """One region's pixels; the halves are cut from the contour's own pixels, so they tile it exactly."""
    if name in ("upper_face", "lower_face"):
        contour = _fill(size, region_polygons(points, "contour"))
        upper = contour & _fill(size, region_polygons(points, "upper_face"))
        return upper if name == "upper_face" else contour & ~upper
    return _fill(size, region_polygons(points, name))
