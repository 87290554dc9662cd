"""Five-point face registration: the canonical template, similarity transforms, warps, paste-back.

Every aligned face in the zoo is a crop whose five landmarks sit on the ArcFace-112 template
scaled to the crop size, so identity encoders, generators and datasets agree on geometry at any
resolution. The transform is a similarity (rotation, uniform scale, translation, no reflection):
anything more would distort the face it is meant to register.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from zoo_faces.blend import laplacian_blend, pyramid_levels
from zoo_faces.mask import MaskKind, face_mask

__all__ = [
    "ARCFACE_112",
    "AlignedFace",
    "align_face",
    "canonical_landmarks",
    "estimate_similarity",
    "invert_affine",
    "paste_back",
    "transform_points",
    "umeyama",
    "warp_affine",
]

ARCFACE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)
"""Left eye, right eye, nose, left and right mouth corner of a 112×112 ArcFace crop (pixels)."""


@dataclass(frozen=True)
class AlignedFace:
    """A canonical crop and the 2×3 matrix that maps photo pixels to crop pixels."""

    crop: np.ndarray
    matrix: np.ndarray


def canonical_landmarks(size: int) -> np.ndarray:
    """The ArcFace-112 template scaled to a ``size``×``size`` crop (5×2 float64).

    Scaling is about pixel centres, so a 224 crop box-downsampled to 112 lands exactly on the
    112 template.
    """
    if size <= 0:
        raise ValueError(f"crop size must be positive, got {size}")
    return (ARCFACE_112 + 0.5) * (size / 112.0) - 0.5


def umeyama(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares similarity (no reflection) mapping ``source`` points onto ``target``; 2×3.

    Umeyama, "Least-squares estimation of transformation parameters between two point patterns",
    TPAMI 1991.
    """
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 2 or source.shape[1] != 2 or len(source) < 2:
        raise ValueError(f"expected two matching N×2 point sets (N ≥ 2), got {source.shape} and {target.shape}")
    source_mean, target_mean = source.mean(0), target.mean(0)
    source_centred, target_centred = source - source_mean, target - target_mean
    covariance = target_centred.T @ source_centred / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    reflection = np.diag([1.0, np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0])
    rotation = u @ reflection @ vt
    source_variance = (source_centred**2).sum() / len(source)
    if source_variance == 0:
        raise ValueError("landmarks are all the same point: no transform is defined")
    scale = float(np.trace(np.diag(singular) @ reflection) / source_variance)
    translation = target_mean - scale * rotation @ source_mean
    return np.hstack([scale * rotation, translation[:, None]])


def estimate_similarity(landmarks: np.ndarray, size: int) -> np.ndarray:
    """The 2×3 matrix mapping photo pixels to a ``size`` crop with ``landmarks`` on the template."""
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (5, 2):
        raise ValueError(f"expected 5×2 landmarks (eyes, nose, mouth corners), got {landmarks.shape}")
    return umeyama(landmarks, canonical_landmarks(size))


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a 2×3 affine matrix, as 2×3."""
    return cv2.invertAffineTransform(np.asarray(matrix, dtype=np.float64))


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2×3 affine matrix to N×2 points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ np.asarray(matrix, dtype=np.float64)[:, :2].T + np.asarray(matrix, dtype=np.float64)[:, 2]


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int) -> AlignedFace:
    """Crop the face with ``landmarks`` from an H×W×3 image onto the ``size`` canonical template.

    Parts of the crop outside the photo are filled by replicating the border, so a face cut by the
    frame still gives a usable crop (and no black wedge bleeds into blends).
    """
    matrix = estimate_similarity(landmarks, size)
    crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_AREA if _shrinks(matrix) else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    return AlignedFace(crop=crop, matrix=matrix)


def _shrinks(matrix: np.ndarray) -> bool:
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2])))) < 1.0


def paste_back(
    photo: np.ndarray,
    face: np.ndarray | torch.Tensor,
    matrix: np.ndarray,
    *,
    mask: MaskKind | np.ndarray = "hull",
    feather: float = 0.25,
    levels: int | None = None,
) -> np.ndarray:
    """Blend an aligned ``face`` back into ``photo`` where ``matrix`` (photo → crop) took it from.

    ``matrix`` must be for the face's own size (``estimate_similarity(landmarks, face_size)``).
    The face is composited inside a feathered landmark mask (or ``mask``, an S×S float crop-space mask
    in [0, 1] composed by the caller, e.g. :mod:`zoo_masks.compose`) with multi-band Laplacian blending,
    which hides the seam in both colour (low bands) and texture (high bands). Only the region
    the face covers is touched; faces partly outside the frame are clipped, not rejected.
    """
    face_array = _face_uint8(face)
    size = face_array.shape[0]
    if face_array.shape[:2] != (size, size):
        raise ValueError(f"aligned faces are square, got {face_array.shape[:2]}")
    inverse = invert_affine(matrix)
    corners = transform_points(np.array([[0, 0], [size, 0], [0, size], [size, size]], dtype=np.float64), inverse)
    height, width = photo.shape[:2]
    left, top = np.floor(corners.min(0)).astype(int) - 2
    right, bottom = np.ceil(corners.max(0)).astype(int) + 2
    left, top, right, bottom = max(left, 0), max(top, 0), min(right, width), min(bottom, height)
    result = photo.copy()
    if right - left < 2 or bottom - top < 2:
        return result
    to_region = inverse.copy()
    to_region[:, 2] -= (left, top)
    region_size = (right - left, bottom - top)
    warped_face = cv2.warpAffine(face_array, to_region, region_size, flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
    if isinstance(mask, np.ndarray):
        if mask.shape != (size, size):
            raise ValueError(f"a crop-space mask must be {size}×{size} like the face, got {mask.shape}")
        crop_mask = mask.astype(np.float32)
    else:
        crop_mask = face_mask(size, canonical_landmarks(size), kind=mask, feather=feather)
    warped_mask = cv2.warpAffine(crop_mask, to_region, region_size, flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    region = photo[top:bottom, left:right]
    blended = laplacian_blend(
        _as_batch(warped_face),
        _as_batch(region),
        torch.from_numpy(warped_mask)[None, None],
        levels=levels if levels is not None else pyramid_levels(min(region.shape[:2])),
    )
    result[top:bottom, left:right] = (blended[0].permute(1, 2, 0).mul(255.0).round().clamp(0, 255)
                                      .to(torch.uint8).numpy())
    return result


def _face_uint8(face: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(face, torch.Tensor):
        from zoo_faces.image import to_uint8

        return to_uint8(face)
    if face.dtype != np.uint8 or face.ndim != 3 or face.shape[2] != 3:
        raise ValueError(f"expected an S×S×3 uint8 face, got {face.dtype} {tuple(face.shape)}")
    return face


def _as_batch(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float().div_(255.0)


def warp_affine(images: torch.Tensor, matrices: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Batched, differentiable ``cv2.warpAffine``: N×C×H×W images, N×2×3 pixel matrices (source →
    output, OpenCV convention), output N×C×``size`` (height, width); borders replicate."""
    if matrices.ndim != 3 or matrices.shape[1:] != (2, 3) or matrices.shape[0] != images.shape[0]:
        raise ValueError(f"expected N×2×3 matrices for {images.shape[0]} images, got {tuple(matrices.shape)}")
    out_height, out_width = size
    in_height, in_width = images.shape[-2:]
    full = torch.cat([matrices.to(torch.float64),
                      matrices.new_tensor([0.0, 0.0, 1.0], dtype=torch.float64).expand(len(matrices), 1, 3)], 1)
    inverse = torch.linalg.inv(full)[:, :2]
    ys, xs = torch.meshgrid(torch.arange(out_height, dtype=torch.float64),
                            torch.arange(out_width, dtype=torch.float64), indexing="ij")
    pixels = torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(1, -1, 3)
    source = pixels @ inverse.transpose(1, 2)
    normalised = torch.stack([(2 * source[..., 0] + 1) / in_width - 1, (2 * source[..., 1] + 1) / in_height - 1], -1)
    grid = normalised.reshape(len(images), out_height, out_width, 2).to(images.dtype)
    return F.grid_sample(images, grid.to(images.device), mode="bilinear", padding_mode="border", align_corners=False)
