"""Occluders to paste in front of aligned faces: the shared RGBA cut-outs and procedural shapes.

The alpha channel of a cut-out is its exact mask, so a face with an occluder pasted on it has an
exact "visible face" target for free. Cut-outs alone would teach a segmenter only those few
objects; procedural hands (:mod:`zoo_masks.hands`), bars and hair strands (often in the face's own
skin colour, so colour is not a shortcut) make it look for edges and shapes that do not belong to a face.

Splits are fixed by file name, never by chance: ``object_test/`` is test-only, and every
``held_out_every``-th file (sorted) of the glasses, eye-glasses and scarf folders is held out too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # albumentations phones home on import otherwise

import albumentations as A  # noqa: E402

from zoo.errors import ZooError  # noqa: E402
from zoo_masks.hands import procedural_hand, skin_tone  # noqa: E402

__all__ = ["CATEGORIES", "Occluder", "OccluderBank", "Split", "placed_cutout", "procedural_occluder"]

Split = Literal["train", "test"]
CATEGORIES = ("glasses", "eleglasses", "scarf", "object_train", "object_test")
_TEST_ONLY = "object_test"
_TRAIN_ONLY = "object_train"
PROCEDURAL = ("hand", "bar", "hair")


@dataclass(frozen=True)
class Occluder:
    """An RGBA cut-out (h×w×4 uint8) and the folder it came from (its placement rule)."""

    rgba: np.ndarray
    category: str
    name: str


def _load_rgba(path: Path, longest: int) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 3 or image.shape[2] != 4:
        raise ZooError(f"occluder {path}: not an RGBA image (the alpha channel is the mask)")
    rgba = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    scale = longest / max(rgba.shape[:2])
    if scale < 1:  # big cut-outs are shrunk once: every paste is smaller than the face
        rgba = cv2.resize(rgba, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return rgba


class OccluderBank:
    """The cut-outs of one split, loaded once and kept small (longest side ``longest`` px)."""

    def __init__(self, root: str | Path, split: Split, held_out_every: int = 5, longest: int = 160):
        self.root = Path(root)
        if not self.root.is_dir():
            raise ZooError(f"occluders: {self.root} is not a folder (expected {', '.join(CATEGORIES)} inside)")
        self.split = split
        self.occluders: list[Occluder] = []
        for category in CATEGORIES:
            folder = self.root / category
            if not folder.is_dir():
                continue
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".png")
            for number, path in enumerate(files):
                if self.assigned(category, number, held_out_every) == split:
                    self.occluders.append(Occluder(_load_rgba(path, longest), category, path.name))
        if not self.occluders:
            raise ZooError(f"occluders: no RGBA .png files for the {split} split in {self.root}")

    @staticmethod
    def assigned(category: str, number: int, held_out_every: int) -> Split:
        """Which split the ``number``-th file (sorted) of ``category`` belongs to."""
        if category == _TEST_ONLY:
            return "test"
        if category == _TRAIN_ONLY:
            return "train"
        return "test" if number % held_out_every == 0 else "train"

    def __len__(self) -> int:
        return len(self.occluders)


_SPIN = A.Compose([
    A.HorizontalFlip(p=0.5),
    A.Affine(rotate=(-25, 25), shear=(-6, 6), scale=(0.9, 1.1), fit_output=True, border_mode=cv2.BORDER_CONSTANT,
             fill=0, interpolation=cv2.INTER_LINEAR, p=1.0),
], seed=0)
_RECOLOUR = A.Compose([
    A.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.4, hue=0.08, p=0.8),
], seed=0)


def _placement(category: str, size: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """(width as a fraction of the crop, centre x, centre y or −top) where this kind of thing is worn or held."""
    if category in ("glasses", "eleglasses"):  # on the eyes of the canonical template (y ≈ 0.46)
        return rng.uniform(0.55, 0.85), 0.5 + rng.normal(0, 0.03), 0.46 + rng.normal(0, 0.03)
    if category == "scarf":  # top edge between the nose and the chin (y given for the top, see _place)
        return rng.uniform(0.75, 1.15), 0.5 + rng.normal(0, 0.06), -rng.uniform(0.6, 0.88)
    return rng.uniform(0.25, 0.6), rng.uniform(0.15, 0.85), rng.uniform(0.2, 0.9)


def _place(rgba: np.ndarray, size: int, width: float, cx: float, cy: float) -> np.ndarray:
    """The cut-out scaled to ``width``·size and centred at (cx, cy)·size on an empty S×S×4 canvas.

    A negative ``cy`` places the cut-out's top edge at ``-cy``·size instead (a scarf hangs from there).
    """
    scale = width * size / rgba.shape[1]
    resized = cv2.resize(rgba, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    h, w = resized.shape[:2]
    left = int(round(cx * size - w / 2))
    top = int(round(-cy * size)) if cy < 0 else int(round(cy * size - h / 2))
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + w, size), min(top + h, size)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = resized[y0 - top:y1 - top, x0 - left:x1 - left]
    return canvas


def placed_cutout(occluder: Occluder, size: int, rng: np.random.Generator) -> np.ndarray:
    """A randomly spun, recoloured and placed cut-out on an S×S×4 canvas (alpha exact, float-free)."""
    seed = int(rng.integers(2**31))
    _SPIN.set_random_seed(seed)
    spun = _SPIN(image=occluder.rgba)["image"]
    _RECOLOUR.set_random_seed(seed + 1)
    rgb = _RECOLOUR(image=np.ascontiguousarray(spun[..., :3]))["image"]
    spun = np.concatenate([rgb, spun[..., 3:]], axis=2)
    width, cx, cy = _placement(occluder.category, size, rng)
    return _place(spun, size, width, cx, cy)


def _shade(mask: np.ndarray, colour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour a shape with a light gradient and grain so it is not a flat sticker."""
    s = mask.shape[0]
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32) / s
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 + rng.uniform(0.1, 0.35) * ((xs - 0.5) * np.cos(angle) + (ys - 0.5) * np.sin(angle))
    grain = rng.normal(1.0, rng.uniform(0.01, 0.06), (s, s)).astype(np.float32)
    rgb = np.clip(colour[None, None] * (light * grain)[..., None], 0, 255).astype(np.uint8)
    alpha = cv2.GaussianBlur(mask, (0, 0), 0.6) if mask.any() else mask
    return np.concatenate([rgb, alpha[..., None]], axis=2)


def _bar(size: int, face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((size, size), dtype=np.uint8)
    start, end = rng.uniform(-0.1, 1.1, 2) * size, rng.uniform(0.2, 0.8, 2) * size
    thickness = max(2, int(rng.uniform(0.04, 0.16) * size))
    cv2.line(mask, tuple(int(v) for v in start), tuple(int(v) for v in end), 255, thickness, cv2.LINE_AA)
    if rng.random() < 0.4:  # a microphone head
        cv2.circle(mask, tuple(int(v) for v in end), int(thickness * rng.uniform(1.0, 2.0)), 255, -1, cv2.LINE_AA)
    colour = rng.uniform(0, 255, 3) if rng.random() < 0.6 else skin_tone(face, rng)
    return _shade(mask, colour, rng)


def _hair(size: int, face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((size, size), dtype=np.uint8)
    side = rng.uniform(0.15, 0.85)
    for _ in range(int(rng.integers(6, 30))):
        points = np.array([[side + rng.normal(0, 0.08), rng.uniform(-0.2, 0.1)],
                           [side + rng.normal(0, 0.2), rng.uniform(0.2, 0.5)],
                           [side + rng.normal(0, 0.25), rng.uniform(0.4, 0.9)]]) * size
        t = np.linspace(0, 1, 24)[:, None]
        curve = (1 - t) ** 2 * points[0] + 2 * (1 - t) * t * points[1] + t ** 2 * points[2]
        cv2.polylines(mask, [np.round(curve).astype(np.int32)], False, 255, int(rng.integers(1, 3)), cv2.LINE_AA)
    colour = np.array([rng.uniform(10, 60), rng.uniform(5, 45), rng.uniform(0, 30)]) * rng.uniform(1, 4)
    return _shade(mask, colour, rng)


_PROCEDURES = {"hand": procedural_hand, "bar": _bar, "hair": _hair}


def procedural_occluder(kind: str, size: int, face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An S×S×4 procedural occluder of ``kind`` (hand, bar or hair) for this S×S×3 face."""
    return _PROCEDURES[kind](size, face, rng)

