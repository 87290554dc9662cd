"""Procedural hands: a palm, a thumb and four jointed fingers reaching over the face, often from the frame edge.

A hand over a cheek is the hardest occluder for a segmenter: the same colour family as the face,
no object outline, and only two cut-out hands to learn from (``object_train``). A skin-coloured
blob with sticks taught the segmenter blobs, and it then missed a held-out hand on a real photo.
These hands have the cues real ones have: separate fingers with a dark crease where one lies over
another, rounded shading across each finger, nails, poses from open to fist, and a forearm running
out of the frame; their fingers end on the cheeks, mouth, nose or eyes. Their colour is the face's
own skin half the time and another person's otherwise, so neither colour nor shape is a shortcut.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["procedural_hand", "skin_tone"]

_SKIN_TONES = np.array([
    [255, 224, 196], [241, 194, 167], [234, 185, 157], [224, 172, 138], [210, 160, 120],
    [198, 134, 100], [176, 118, 84], [150, 96, 66], [120, 75, 50], [92, 58, 40],
], dtype=np.float64)
_FINGER_LENGTHS = np.array([0.45, 0.5, 0.47, 0.37])  # index .. little finger, × hand length
_KNUCKLES = np.array([-0.16, -0.055, 0.05, 0.15])      # across the palm, × hand length
_DRAWN_AT_LEAST = 128  # px: small hands are drawn at a multiple of their size and shrunk (soft, exact edges)


def skin_tone(face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A colour near the face's own cheeks, so a hand is not found by its colour alone."""
    s = face.shape[0]
    patch = face[int(0.55 * s):int(0.7 * s), int(0.3 * s):int(0.7 * s)].reshape(-1, 3)
    return np.clip(np.median(patch, 0) * rng.uniform(0.8, 1.2, 3), 0, 255)


def _colour(face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        return skin_tone(face, rng)
    tone = _SKIN_TONES[int(rng.integers(len(_SKIN_TONES)))]
    return np.clip(tone * rng.uniform(0.85, 1.1) * rng.uniform(0.93, 1.07, 3), 0, 255)


def _curls(rng: np.random.Generator) -> np.ndarray:
    """How far each finger (index .. little) bends toward the viewer, by pose: open, pointing, curled or a fist."""
    pose = rng.choice(4, p=[0.4, 0.2, 0.25, 0.15])
    if pose == 0:
        return rng.uniform(0.0, 0.35, 4)
    if pose == 1:
        return np.concatenate([[rng.uniform(0.0, 0.2)], rng.uniform(0.9, 1.4, 3)])
    if pose == 2:
        return rng.uniform(0.4, 1.0, 4)
    return rng.uniform(1.1, 1.5, 4)


def _chain(base: np.ndarray, direction: float, lengths: np.ndarray, curl: float, wobble: np.ndarray) -> np.ndarray:
    """Joint positions of a finger seen from the front: each bend toward the viewer shortens what follows."""
    points = [base]
    bend = 0.0
    for number, length in enumerate(lengths):
        bend += curl * (0.6 if number == 0 else 1.0)
        angle = direction + wobble[number]
        points.append(points[-1] + length * np.cos(min(bend, np.pi)) * np.array([np.cos(angle), np.sin(angle)]))
    return np.array(points)


def _draw_chain(canvas: int, joints: np.ndarray, widths: np.ndarray) -> np.ndarray:
    mask = np.zeros((canvas, canvas), dtype=np.uint8)
    for start, end, width in zip(joints[:-1], joints[1:], widths):
        cv2.line(mask, tuple(int(v) for v in start), tuple(int(v) for v in end), 255, max(2, int(width)), cv2.LINE_AA)
    return mask


def _geometry(canvas: int, rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Masks of the hand's parts, back to front (forearm, palm, thumb, fingers), and the fingertip positions."""
    length = rng.uniform(0.35, 0.8) * canvas
    target = rng.uniform([0.28, 0.32], [0.72, 0.85]) * canvas  # where the fingers end: cheek, mouth, nose, eyes
    from_edge = rng.random() < 0.7
    if from_edge:
        side = rng.choice(4, p=[0.5, 0.2, 0.2, 0.1])  # bottom, left, right, top
        along = rng.uniform(0.0, 1.0)
        entry = np.array([[along, 1.05], [-0.05, 0.3 + 0.7 * along], [1.05, 0.3 + 0.7 * along], [along, -0.05]][side])
        toward = target - entry * canvas
        heading = float(np.arctan2(toward[1], toward[0]))
    else:
        heading = rng.uniform(0, 2 * np.pi)
    u = np.array([np.cos(heading), np.sin(heading)])
    hand = 1.0 if rng.random() < 0.5 else -1.0  # left or right: the thumb (and index finger) is on the −v side
    v = hand * np.array([-u[1], u[0]])
    wrist = target - u * length * rng.uniform(0.6, 0.9)
    parts: list[np.ndarray] = []
    arm_end = wrist - u * (3 * canvas if from_edge else rng.uniform(0.1, 0.3) * length)
    parts.append(_draw_chain(canvas, np.array([arm_end, wrist]), np.array([0.34 * length * rng.uniform(0.85, 1.1)])))
    palm = np.zeros((canvas, canvas), dtype=np.uint8)
    knuckle_line = wrist + 0.46 * length * u
    corners = [wrist - 0.17 * length * v, wrist + 0.17 * length * v,
               knuckle_line + 0.2 * length * v, knuckle_line - 0.21 * length * v]
    cv2.fillConvexPoly(palm, np.round(np.array(corners)).astype(np.int32), 255, cv2.LINE_AA)
    parts.append(palm)
    thumb_curl = rng.uniform(0.0, 0.8)
    thumb = _chain(wrist + 0.12 * length * u - 0.14 * length * v, heading - hand * rng.uniform(0.5, 1.1),
                   length * np.array([0.24, 0.2]) * rng.uniform(0.85, 1.15), thumb_curl, rng.normal(0, 0.1, 2))
    parts.append(_draw_chain(canvas, thumb, length * np.array([0.12, 0.1]) * rng.uniform(0.85, 1.15)))
    spread = rng.uniform(0.03, 0.22)
    tips = []
    for finger, curl in enumerate(_curls(rng)):
        base = knuckle_line + _KNUCKLES[finger] * length * v
        direction = heading + hand * (finger - 1.2) * spread
        segments = length * _FINGER_LENGTHS[finger] * np.array([0.45, 0.3, 0.25]) * rng.uniform(0.9, 1.1)
        joints = _chain(base, direction, segments, curl, rng.normal(0, 0.08, 3))
        parts.append(_draw_chain(canvas, joints, length * np.array([0.095, 0.085, 0.075]) * rng.uniform(0.85, 1.15)))
        if curl < 0.5:
            tips.append(joints[-1] - 0.03 * length * np.array([np.cos(direction), np.sin(direction)]))
    return parts, tips


def _shading(parts: list[np.ndarray]) -> np.ndarray:
    """Rounded across each part, by the distance to its own edge; the part in front decides, so creases stay dark."""
    shade = np.zeros(parts[0].shape, dtype=np.float32)
    for mask in parts:
        inside = mask > 127
        if not inside.any():
            continue
        distance = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 3)
        ridge = np.sqrt(np.clip(distance / max(float(distance.max()), 1.0), 0, 1))
        shade[inside] = 0.6 + 0.4 * ridge[inside]
    return shade


def procedural_hand(size: int, face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An S×S×4 hand (alpha = its exact mask) for this S×S×3 aligned face."""
    scale = -(-_DRAWN_AT_LEAST // size)  # 2 at 64 px; 1 when the dataset already composites large
    parts, tips = _geometry(size * scale, rng)
    big_alpha = np.max(np.stack(parts), axis=0).astype(np.float32) / 255.0
    # shapes and shading are drawn large for exact edges, coloured at the final size (the cost is per sample)
    alpha = cv2.resize(big_alpha, (size, size), interpolation=cv2.INTER_AREA)
    shade = cv2.resize(_shading(parts) * big_alpha, (size, size), interpolation=cv2.INTER_AREA) / np.maximum(alpha, 1e-3)
    colour = _colour(face, rng)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 + rng.uniform(0.1, 0.4) * ((xs - 0.5) * np.cos(angle) + (ys - 0.5) * np.sin(angle))
    blotches = cv2.resize(rng.normal(0, 1, (6, 6)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    blotches *= rng.uniform(0.02, 0.08) / max(float(np.abs(blotches).max()), 1e-6)
    grain = rng.normal(0, rng.uniform(0.005, 0.025), (size, size)).astype(np.float32)
    rgb = colour[None, None].astype(np.float32) * (shade * light * (1 + blotches + grain))[..., None]
    if tips and rng.random() < 0.6:  # nails: lighter and pinker than the skin
        nails = np.zeros((size, size), dtype=np.uint8)
        for tip in tips:
            cv2.circle(nails, tuple(int(v) for v in tip / scale), max(1, size // 40), 255, -1, cv2.LINE_AA)
        weight = nails[..., None].astype(np.float32) / 255.0 * 0.6
        rgb = rgb * (1 - weight) + np.clip(colour * 1.15 + [20, 5, 5], 0, 255)[None, None] * weight
    layer = np.concatenate([rgb, 255.0 * alpha[..., None]], axis=2)
    return np.clip(np.round(layer), 0, 255).astype(np.uint8)
