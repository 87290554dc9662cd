"""Put occluders in front of a face the way a camera would: lit like the face, then shrunk and degraded.

Pasted at the segmenter's own resolution, an occluder's outline is a hard, aliased step and its
light is its own studio light: a real hand in a photo has neither once the photo is shrunk to the
crop. The first segmenters learnt that seam (a cut-out was caught on the training faces, the same
hand in a real photo was not). So the face and its occluders are composited at ``supersample`` ×
the sample size, each occluder is first shaded towards the face's brightness and light field, the
composite gets the photo's own degradations (JPEG, a lower-resolution camera) at that size, is
shrunk with area averaging (anti-aliased edges, as in a shrunk photo), and then blurred, noised
and re-lit as a whole. The alpha and the face region are shrunk by the same area averaging, so the
target (region × (1 − alpha)) is exact for the shrunk image.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A  # noqa: E402

__all__ = ["Composite", "composite", "match_lighting"]

# at the composite's size, like a photo before it is cut to the face crop
_CAMERA = A.Compose([
    A.Downscale(scale_range=(0.45, 0.9), interpolation_pair={"downscale": cv2.INTER_AREA, "upscale": cv2.INTER_LINEAR},
                p=0.25),
    A.ImageCompression(quality_range=(35, 95), p=0.5),
], seed=0)
# at the sample size, on face and occluder alike: nothing here tells one from the other
_CROP = A.Compose([
    A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.2, p=0.5),
    A.RandomGamma(gamma_limit=(80, 125), p=0.3),
    A.OneOf([A.GaussianBlur(blur_limit=0, sigma_limit=(0.3, 0.9)),
             A.Sharpen(alpha=(0.1, 0.3), lightness=(0.9, 1.0))], p=0.35),
    A.GaussNoise(std_range=(0.005, 0.035), p=0.45),
], seed=0)


@dataclass(frozen=True)
class Composite:
    """The shrunk occluded face (S×S×3 uint8), the occluders' joint alpha and the face region (S×S float32)."""

    image: np.ndarray
    alpha: np.ndarray
    region: np.ndarray


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def match_lighting(layer: np.ndarray, face: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """The RGBA ``layer`` re-lit towards the ``face`` behind it: its mean brightness and its light field.

    A cut-out keeps the light it was photographed in, so its brightness alone can give it away; a
    hand held to a face is lit by the same lamp. A random share (up to ``strength``) of the gap is
    closed, so the segmenter still sees occluders brighter and darker than the skin.
    """
    alpha = layer[..., 3].astype(np.float32) / 255.0
    weight = float(alpha.sum())
    if weight < 1.0:
        return layer
    face_lum = _luminance(face)
    behind = float((face_lum * alpha).sum() / weight)
    own = float((_luminance(layer) * alpha).sum() / weight)
    gain = ((behind + 8.0) / (own + 8.0)) ** rng.uniform(0.0, strength)
    side = face.shape[0]  # the face's low-frequency light (which side the lamp is on), blurred on an 8× smaller copy
    small = cv2.resize(face_lum, (max(side // 8, 1),) * 2, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(side / 48.0, 0.5))
    field = cv2.resize(small, (side, side), interpolation=cv2.INTER_LINEAR) / max(float(face_lum.mean()), 1.0)
    shading = np.clip(field, 0.3, 2.0) ** rng.uniform(0.0, strength)
    rgb = layer[..., :3].astype(np.float32) * (gain * shading)[..., None]
    return np.concatenate([np.clip(np.round(rgb), 0, 255).astype(np.uint8), layer[..., 3:]], axis=2)


def composite(face: np.ndarray, region: np.ndarray, layers: Sequence[np.ndarray], size: int, rng: np.random.Generator,
              relight: float = 0.8, degrade: bool = True) -> Composite:
    """``layers`` (RGBA, the face's size) over ``face`` (H×H×3, H = a multiple of ``size``), shrunk to ``size``.

    Each layer is re-lit to the face with probability ``relight``; ``degrade`` applies the camera
    and crop degradations. Deterministic in ``rng``.
    """
    image = face.astype(np.float32)
    visible = np.ones(face.shape[:2], np.float32)
    for layer in layers:
        if rng.random() < relight:
            layer = match_lighting(layer, face, rng)
        alpha = layer[..., 3:].astype(np.float32) / 255.0
        image = image * (1.0 - alpha) + layer[..., :3].astype(np.float32) * alpha
        visible *= 1.0 - alpha[..., 0]
    pasted = np.clip(np.round(image), 0, 255).astype(np.uint8)
    seed = int(rng.integers(2**31))
    if degrade:
        _CAMERA.set_random_seed(seed)
        pasted = _CAMERA(image=pasted)["image"]
    shape = (size, size)
    small = cv2.resize(pasted, shape, interpolation=cv2.INTER_AREA)
    alpha = np.clip(cv2.resize(1.0 - visible, shape, interpolation=cv2.INTER_AREA), 0.0, 1.0)
    shrunk_region = np.clip(cv2.resize(region.astype(np.float32), shape, interpolation=cv2.INTER_AREA), 0.0, 1.0)
    if degrade:
        _CROP.set_random_seed(seed + 1)
        small = _CROP(image=small)["image"]
    return Composite(image=small, alpha=alpha.astype(np.float32), region=shrunk_region.astype(np.float32))
