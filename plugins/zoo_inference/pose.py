"""Head pose (yaw, pitch, roll in degrees) from 68-point landmarks, with numpy alone.

A generic 3D face (millimetres, nose tip at the origin, x to the image's right, y up, z towards
the camera) is fitted to the 2D landmarks by a scaled orthographic projection: a linear
least-squares 2×3 map, projected onto the nearest scaled rotation. Faces in aligned crops are
small and far from the lens compared with their depth, so perspective adds little, and a swap is
judged by the *difference* between two poses, where the model's bias cancels. Only points that
are rigid on a face are used (eye corners, nose, mouth corners, chin): jaw-line points slide
along the silhouette as the head turns and would bias the fit.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MEAN_FACE_3D", "POSE_POINTS", "head_pose", "pose_error"]

MEAN_FACE_3D: dict[int, tuple[float, float, float]] = {
    30: (0.0, 0.0, 0.0),  # nose tip
    27: (0.0, 47.0, -30.0),  # nose bridge between the eyes
    8: (0.0, -73.3, -14.4),  # chin
    36: (-50.0, 37.8, -30.0),  # outer corner of the eye on the image's left
    39: (-15.0, 36.0, -24.0),  # its inner corner
    42: (15.0, 36.0, -24.0),  # inner corner of the other eye
    45: (50.0, 37.8, -30.0),  # its outer corner
    48: (-33.3, -33.3, -27.8),  # mouth corner on the image's left
    54: (33.3, -33.3, -27.8),  # the other mouth corner
}
"""Generic anthropometric positions of the rigid 68-point landmarks (the 6-point model of the
common OpenCV head-pose examples, in mm, plus the nose bridge and the inner eye corners)."""

POSE_POINTS = np.array(sorted(MEAN_FACE_3D))
_MODEL = np.array([MEAN_FACE_3D[index] for index in POSE_POINTS], dtype=np.float64)


def head_pose(points: np.ndarray) -> np.ndarray:
    """K×68×2 image landmarks → K×3 (yaw, pitch, roll) in degrees; NaN rows stay NaN.

    Yaw is positive when the face turns towards the image's right, pitch when it looks down, roll
    when it rotates anticlockwise in the image.
    """
    points = np.asarray(points, dtype=np.float64)
    angles = np.full((len(points), 3), np.nan)
    model = _MODEL - _MODEL.mean(0)
    for row, face in enumerate(points):
        image = face[POSE_POINTS] * np.array([1.0, -1.0])  # y up, like the model
        if not np.isfinite(image).all():
            continue
        image = image - image.mean(0)
        linear, *_ = np.linalg.lstsq(model, image, rcond=None)  # model (n×3) @ linear (3×2) ≈ image
        u, _, vt = np.linalg.svd(linear.T, full_matrices=False)
        rows = u @ vt  # the nearest 2×3 with orthonormal rows
        rotation = np.vstack([rows, np.cross(rows[0], rows[1])])
        angles[row] = _euler(rotation)
    return angles


def _euler(rotation: np.ndarray) -> np.ndarray:
    """(yaw, pitch, roll) in degrees of R = Rz(roll) · Ry(yaw) · Rx(pitch)."""
    yaw = np.arcsin(np.clip(-rotation[2, 0], -1.0, 1.0))
    pitch = np.arctan2(rotation[2, 1], rotation[2, 2])
    roll = np.arctan2(rotation[1, 0], rotation[0, 0])
    return np.degrees([yaw, pitch, roll])


def pose_error(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per face: mean absolute yaw/pitch/roll difference (degrees) between two K×68×2 landmark sets."""
    return np.abs(head_pose(points) - head_pose(reference)).mean(1)
