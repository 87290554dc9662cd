"""Where a swapped face may replace the target: masks composed per face by intersection.

Every mask is drawn in the aligned crop of one face (the generator's output frame), so the
paste-back warps a single S×S mask into the photo. A mask is a function of (frame, 5 landmarks)
and nothing else — photos and video frames call the same :meth:`FaceMasker.crop_masks`.

- ``box``: the whole crop (no face shape at all);
- ``hull``: the 5-point hull ``zoo swap`` always used;
- ``contour``: jaw line and brows from 68 landmarks — tighter than the hull on a turned head;
- ``region``: the ``--mask-regions`` selection (e.g. ``-mouth`` keeps the target's own lips);
- ``occlusion``: the segmenter's visible face — a hand or glasses in front stay in front;
- ``generator``: the swapper's own blend mask, for generators that predict one (``swap_with_mask``).

The product is thresholded, grown or shrunk by ``padding`` and feathered *inward* by ``blur``
(zero on the outline, as in :mod:`zoo_faces.mask`), so blending never paints past the mask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from zoo.devices import module_device
from zoo.errors import ZooError
from zoo_masks.regions import RegionSelection, parse_regions, region_mask

__all__ = ["MASK_KINDS", "FaceMasker", "MaskOptions", "parse_mask_kinds"]

MASK_KINDS = ("box", "hull", "contour", "region", "occlusion", "generator")
_NEEDS_68 = ("contour", "region")


def parse_mask_kinds(text: str, where: str = "--mask") -> tuple[str, ...]:
    """``"occlusion,contour"`` → ``("occlusion", "contour")``, or one line naming the unknown kind."""
    kinds = tuple(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))
    if not kinds:
        raise ZooError(f"{where} {text!r}: name at least one mask ({', '.join(MASK_KINDS)})")
    for kind in kinds:
        if kind not in MASK_KINDS:
            raise ZooError(f"{where} {text!r}: unknown mask {kind!r} (masks: {', '.join(MASK_KINDS)}, joined by commas)")
    return kinds


@dataclass(frozen=True)
class MaskOptions:
    """What ``--mask``, ``--mask-regions``, ``--mask-padding`` and ``--mask-blur`` ask for."""

    kinds: tuple[str, ...] = ("hull",)
    regions: RegionSelection = field(default_factory=RegionSelection)
    padding: float = 0.0
    blur: float = 0.08

    @classmethod
    def parse(cls, mask: str = "hull", regions: str | None = None, padding: float | None = None,
              blur: float | None = None) -> MaskOptions:
        """Checked options (``None`` = the default); every bad value is one :class:`ZooError` line."""
        padding = cls.padding if padding is None else padding
        blur = cls.blur if blur is None else blur
        kinds = parse_mask_kinds(mask)
        if regions is not None and "region" not in kinds:
            kinds = (*kinds, "region")  # naming regions asks for them
        if not -0.5 < padding < 0.5:
            raise ZooError(f"--mask-padding {padding}: must lie between -0.5 and 0.5 (a fraction of the face crop)")
        if not 0 <= blur <= 0.5:
            raise ZooError(f"--mask-blur {blur}: must lie between 0 and 0.5 (a fraction of the face crop)")
        selection = parse_regions(regions) if regions is not None else RegionSelection()
        return cls(kinds, selection, padding, blur)


Landmarker = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``landmarks(image, boxes) -> K×68×2`` (the ``dlib68`` backbone's method)."""


class FaceMasker:
    """Composes the asked-for masks for one face at a time, in that face's aligned crop."""

    def __init__(self, options: MaskOptions, segmenter: Any = None, landmarker: Landmarker | None = None,
                 generator: Any = None):
        self.options = options
        if "occlusion" in options.kinds and segmenter is None:
            raise ZooError("--mask occlusion needs a segmenter: pass --mask-model PATH (a folder exported by "
                           "recipes/occlusion_mask.yaml)")
        if any(kind in options.kinds for kind in _NEEDS_68) and landmarker is None:
            raise ZooError("--mask contour/region needs a 68-point landmarker (backbone 'dlib68')")
        self.wants_generator_mask = "generator" in options.kinds
        if self.wants_generator_mask and not callable(getattr(generator, "swap_with_mask", None)):
            raise ZooError("--mask generator: this model's generator predicts no mask of its own; use hull, contour "
                           "or occlusion")
        self.segmenter, self.landmarker = segmenter, landmarker

    def crop_masks(self, frame: np.ndarray, landmarks: np.ndarray, size: int, box: np.ndarray | None = None,
                   generator_mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each asked-for mask (S×S float32 in [0, 1]) for the face with these 5 landmarks in ``frame``.

        ``box`` is the detector's box (the landmarker was trained on such boxes); without one a
        box is derived from the landmarks. ``generator_mask`` (S×S) is the generator's own, for ``generator``.
        """
        from zoo_faces.align import canonical_landmarks, estimate_similarity, transform_points
        from zoo_faces.mask import face_mask

        matrix = estimate_similarity(landmarks, size)
        masks: dict[str, np.ndarray] = {}
        points68 = None
        if any(kind in self.options.kinds for kind in _NEEDS_68):
            box = _box_from_landmarks(landmarks) if box is None else np.asarray(box, dtype=np.float64)
            points68 = transform_points(self.landmarker(frame, box[None])[0], matrix)
        for kind in self.options.kinds:
            if kind == "box":
                masks[kind] = np.ones((size, size), np.float32)
            elif kind == "hull":
                masks[kind] = face_mask(size, canonical_landmarks(size), kind="hull", feather=0)
            elif kind == "contour":
                masks[kind] = region_mask(size, points68, RegionSelection(("contour",)))
            elif kind == "region":
                masks[kind] = region_mask(size, points68, self.options.regions)
            elif kind == "occlusion":
                masks[kind] = self._visible_face(frame, landmarks, size)
            elif kind == "generator":
                if generator_mask is None:
                    raise ValueError("--mask generator: pass the generator's mask (swap_with_mask) for this face")
                masks[kind] = np.asarray(generator_mask, dtype=np.float32).reshape(size, size)
        return masks

    def _visible_face(self, frame: np.ndarray, landmarks: np.ndarray, size: int) -> np.ndarray:
        """The segmenter's visible-face mask at ``size``, from a crop cut at 4× its input side (at least ``size``).

        A photo warped straight to a small crop is sampled without a low-pass filter: aliased edges and
        speckle the segmenter never saw (it is trained on composites shrunk by area averaging), and
        its answer then depended on the swapper's resolution (at 64 px it cut 27–54 % of the visible
        face of the test photos). Cut large, the segmenter shrinks the crop with antialiasing itself.
        """
        from zoo_faces.align import align_face
        from zoo_faces.image import to_tensor

        work = max(size, 4 * int(self.segmenter.resolution))
        crop = to_tensor(align_face(frame, landmarks, work).crop).to(module_device(self.segmenter))
        mask = self.segmenter.mask(crop)[0, 0].cpu().numpy().astype(np.float32)
        return mask if work == size else cv2.resize(mask, (size, size), interpolation=cv2.INTER_AREA)

    def combine(self, masks: dict[str, np.ndarray]) -> np.ndarray:
        """The intersection, padded and feathered inward: the S×S mask the paste-back blends with."""
        size = next(iter(masks.values())).shape[0]
        product = np.ones((size, size), np.float32)
        for mask in masks.values():
            product *= mask
        hard = (product > 0.5).astype(np.uint8)
        pixels = int(round(abs(self.options.padding) * size))
        if pixels:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
            hard = cv2.dilate(hard, kernel) if self.options.padding > 0 else cv2.erode(hard, kernel)
        radius = self.options.blur * size
        if radius < 1:
            return hard.astype(np.float32)
        depth = cv2.distanceTransform(np.pad(hard * 255, 1), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
        ramp = np.clip(depth / radius, 0.0, 1.0)
        return (ramp * ramp * (3.0 - 2.0 * ramp)).astype(np.float32)


def _box_from_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """A dlib-like face box from 5 points (video tracks landmarks, not boxes).

    The corners are where the dlib detector's boxes fall in the canonical 112 crop (median over 163
    AFW faces); on 134 other AFW faces the 68 landmarks then differ from those on dlib's own box
    by 2.5 % of the eye distance (median; 6.5 % at the 90th percentile).
    """
    from zoo_faces.align import estimate_similarity, invert_affine, transform_points

    inverse = invert_affine(estimate_similarity(landmarks, 112))
    corners = transform_points(np.array([[9.7, 25.4], [96.7, 25.4], [9.7, 111.7], [96.7, 111.7]]), inverse)
    return np.array([*corners.min(0), *corners.max(0)])
