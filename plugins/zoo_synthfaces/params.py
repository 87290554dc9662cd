"""Random face parameters, split into IDENTITY (who) and ATTRIBUTES (everything else).

The split is what makes ground truth possible: the exact swap of (source, template) is the face
rendered with the source's identity parameters and the template's attribute parameters.

Every face draws from its own generator seeded by ``(seed, stream, number)``, so identity 7 looks
the same whether the dataset has 8 or 8000 identities. Trigonometry is done here, per face, in
Python floats: the renderer then needs only exactly-rounded arithmetic (+ − × ÷ √), which makes its
pixels bit-identical however faces are batched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "FaceParams",
    "IDENTITY_FIELDS",
    "ATTRIBUTE_FIELDS",
    "HAIR_STYLES",
    "MAX_ROLL_DEGREES",
    "identity_params",
    "attribute_params",
]

#: One 1-D float32 tensor per field, one entry per face.
FaceParams = dict[str, Tensor]

HAIR_STYLES = ("short", "long", "bald", "fringe", "side_part")
#: Residual in-plane rotation of an aligned face (alignment removes most of it in real crops).
MAX_ROLL_DEGREES = 7.0

_IDENTITY_STREAM = 0
_ATTRIBUTE_STREAM = 1

_SKIN = np.array(
    [(0.99, 0.87, 0.77), (0.94, 0.75, 0.63), (0.82, 0.60, 0.46), (0.62, 0.42, 0.30), (0.40, 0.26, 0.19)]
)
_HAIR = np.array(
    [(0.07, 0.055, 0.05), (0.22, 0.13, 0.08), (0.42, 0.27, 0.15), (0.82, 0.66, 0.40), (0.58, 0.24, 0.11), (0.66, 0.65, 0.64)]
)
_HAIR_WEIGHTS = np.array([0.3, 0.25, 0.17, 0.12, 0.08, 0.08])
_IRIS = np.array(
    [(0.30, 0.17, 0.08), (0.17, 0.10, 0.06), (0.26, 0.46, 0.72), (0.28, 0.47, 0.30), (0.45, 0.52, 0.58), (0.50, 0.38, 0.17)]
)
_STYLE_WEIGHTS = np.array([0.34, 0.26, 0.1, 0.15, 0.15])


def _palette(rng: np.random.Generator, colours: np.ndarray, weights: np.ndarray | None, spread: float) -> np.ndarray:
    base = colours[rng.choice(len(colours), p=weights)]
    return np.clip(base * (1.0 + rng.uniform(-spread, spread, 3)), 0.0, 1.0)


def _skin(rng: np.random.Generator) -> np.ndarray:
    position = rng.uniform(0.0, len(_SKIN) - 1.0)
    low = int(position)
    high = min(low + 1, len(_SKIN) - 1)
    blend = position - low
    colour = _SKIN[low] * (1 - blend) + _SKIN[high] * blend
    return np.clip(colour * (1.0 + rng.uniform(-0.03, 0.03, 3)), 0.0, 1.0)


def _one_identity(seed: int, identity: int) -> dict[str, float]:
    rng = np.random.default_rng((seed, _IDENTITY_STREAM, identity))
    skin = _skin(rng)
    hair = _palette(rng, _HAIR, _HAIR_WEIGHTS, 0.12)
    iris = _palette(rng, _IRIS, None, 0.15)
    lips = np.clip(skin * np.array([0.92, 0.62, 0.62]) + rng.uniform(-0.04, 0.04, 3), 0.0, 1.0)
    style = int(rng.choice(len(HAIR_STYLES), p=_STYLE_WEIGHTS))
    beard = float(rng.uniform(0.35, 0.8)) if rng.random() < 0.25 else 0.0
    values = {
        "face_w": rng.uniform(35.0, 43.0),
        "face_h": rng.uniform(50.0, 58.0),
        "face_dy": rng.uniform(-2.0, 3.0),
        "jaw": rng.uniform(0.12, 0.42),
        "ear": rng.uniform(0.8, 1.2),
        "eye_w": rng.uniform(6.8, 9.0),
        "eye_open": rng.uniform(0.38, 0.6),
        "eye_tilt": rng.uniform(-0.06, 0.14),
        "iris": rng.uniform(0.48, 0.6),
        "brow_gap": rng.uniform(8.5, 12.5),
        "brow_thick": rng.uniform(0.9, 2.2),
        "brow_arch": rng.uniform(0.8, 3.5),
        "brow_len": rng.uniform(1.15, 1.5),
        "nose_w": rng.uniform(5.0, 8.5),
        "nose_light": rng.uniform(0.04, 0.1),
        "mouth_w": rng.uniform(0.85, 1.1),
        "lip_up": rng.uniform(1.6, 3.2),
        "lip_low": rng.uniform(2.4, 4.6),
        "hair_style": float(style),
        "hairline": rng.uniform(13.0, 22.0),
        "hair_volume": rng.uniform(3.0, 9.0),
        "hair_part": rng.uniform(-1.0, 1.0),
        "beard": beard,
        "blush": rng.uniform(0.0, 0.25),
    }
    for name, colour in (("skin", skin), ("hair", hair), ("iris", iris), ("lip", lips)):
        for channel, value in zip("rgb", colour):
            values[f"{name}_{channel}"] = float(value)
    return {name: float(value) for name, value in values.items()}


def _one_attribute_set(seed: int, index: int) -> dict[str, float]:
    rng = np.random.default_rng((seed, _ATTRIBUTE_STREAM, index))
    roll = math.radians(rng.uniform(-MAX_ROLL_DEGREES, MAX_ROLL_DEGREES))
    azimuth = rng.uniform(math.pi, 2.0 * math.pi)  # image y points down: light comes from above
    elevation = math.radians(rng.uniform(25.0, 75.0))
    smile = float(np.clip(rng.normal(0.25, 0.4), -0.3, 1.0))
    mouth_open = float(rng.uniform(0.0, 1.0)) if rng.random() < 0.35 else 0.0
    eyes = float(rng.uniform(0.1, 0.35)) if rng.random() < 0.1 else float(rng.uniform(0.8, 1.15))
    background = [rng.uniform(0.05, 0.95, 3) for _ in range(2)]
    clothing = rng.uniform(0.05, 0.9, 3)
    tint = 1.0 + rng.uniform(-0.07, 0.07, 3)
    gradient = rng.uniform(0.0, 2.0 * math.pi)
    values = {
        "yaw": rng.uniform(-1.0, 1.0),
        "pitch": rng.uniform(-1.0, 1.0),
        "roll_cos": math.cos(roll),
        "roll_sin": math.sin(roll),
        "smile": smile,
        "mouth_open": mouth_open,
        "eyes_open": eyes,
        "brow_raise": rng.uniform(-1.0, 1.0),
        "gaze_x": rng.uniform(-0.4, 0.4),
        "gaze_y": rng.uniform(-0.3, 0.3),
        "light_x": math.cos(elevation) * math.cos(azimuth),
        "light_y": math.cos(elevation) * math.sin(azimuth),
        "light_z": math.sin(elevation),
        "light_ambient": rng.uniform(0.35, 0.6),
        "light_power": rng.uniform(0.75, 1.15),
        "gradient_x": math.cos(gradient),
        "gradient_y": math.sin(gradient),
    }
    colours = (("tint", tint), ("bg1", background[0]), ("bg2", background[1]), ("cloth", clothing))
    for name, colour in colours:
        for channel, value in zip("rgb", colour):
            values[f"{name}_{channel}"] = float(value)
    return {name: float(value) for name, value in values.items()}


IDENTITY_FIELDS: tuple[str, ...] = tuple(_one_identity(0, 0))
ATTRIBUTE_FIELDS: tuple[str, ...] = tuple(_one_attribute_set(0, 0))


def _stack(rows: list[dict[str, float]], fields: tuple[str, ...]) -> FaceParams:
    table = torch.tensor([[row[name] for name in fields] for row in rows], dtype=torch.float32)
    table = table.reshape(len(rows), len(fields))
    return {name: table[:, column].contiguous() for column, name in enumerate(fields)}


def identity_params(seed: int, identities: Sequence[int]) -> FaceParams:
    """Identity parameters (face shape, skin, eyes, brows, nose, mouth, hair) of each identity."""
    return _stack([_one_identity(seed, int(identity)) for identity in identities], IDENTITY_FIELDS)


def attribute_params(seed: int, indices: Sequence[int]) -> FaceParams:
    """Attribute parameters (pose, expression, lighting, background, clothing) of each image."""
    return _stack([_one_attribute_set(seed, int(index)) for index in indices], ATTRIBUTE_FIELDS)
