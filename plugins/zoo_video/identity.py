"""Who is who: identity embeddings of detected faces, and the match threshold they are compared with.

Any registered identity encoder works (built by name through the registry; input N×3×112×112
ArcFace-aligned faces in [0, 1], output embeddings). The threshold is a cosine similarity measured
per encoder on the Glint identities of the shared assets (20 people × 20 aligned photos each,
``bench/match_threshold.py``): dlib_resnet 0.90 (accepts 92.7% of same-person pairs, rejects 94.5%
of different-person ones), mobilefacenet with the CASIA weights 0.30 (90.6% / 99.4%). In a video
the decision uses the mean embedding over the key frames a face was seen on, which is steadier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from zoo.devices import module_device
from zoo.errors import ZooError
from zoo_faces.align import align_face
from zoo_faces.defaults import DEFAULT_JUDGE
from zoo_faces.image import to_tensor

__all__ = ["DEFAULT_IDENTITY", "MATCH_THRESHOLDS", "IdentityEmbedder", "build_embedder", "cosine"]

DEFAULT_IDENTITY = DEFAULT_JUDGE
"""dlib_resnet: it needs no weights file, and no recipe trains with it."""
MATCH_THRESHOLDS = {"dlib_resnet": 0.90, "mobilefacenet": 0.30}
"""Cosine similarity at or above which two faces are the same person, measured per encoder."""
_ALIGNED_SIZE = 112


@dataclass
class IdentityEmbedder:
    """Aligns faces from a frame at their landmarks and embeds them (unit vectors)."""

    encoder: torch.nn.Module
    threshold: float
    name: str

    @torch.inference_mode()
    def embed(self, image: np.ndarray, landmarks: Sequence[np.ndarray]) -> np.ndarray:
        """K×D unit embeddings of the faces with these 5×2 ``landmarks`` in ``image``."""
        if len(landmarks) == 0:
            return np.zeros((0, 0), np.float32)
        crops = torch.cat([to_tensor(align_face(image, points, _ALIGNED_SIZE).crop) for points in landmarks])
        embeddings = self.encoder(crops.to(module_device(self.encoder))).float().cpu()
        return F.normalize(embeddings, dim=1).numpy()

    def same_person(self, first: np.ndarray, second: np.ndarray) -> bool:
        return cosine(first, second) >= self.threshold


def cosine(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.dot(first, second) / max(np.linalg.norm(first) * np.linalg.norm(second), 1e-12))


def build_embedder(name: str, args: dict[str, Any], threshold: float | None = None,
                   device: str = "cpu") -> IdentityEmbedder:
    """The registered encoder ``name`` built with ``args`` on ``device``, with its measured (or the given) threshold."""
    import zoo

    if threshold is None:
        if name not in MATCH_THRESHOLDS:
            raise ZooError(f"identity encoder '{name}' has no measured match threshold: pass --match-threshold "
                           f"(measured ones: {', '.join(f'{k} {v}' for k, v in MATCH_THRESHOLDS.items())})")
        threshold = MATCH_THRESHOLDS[name]
    encoder = zoo.build("backbone", name, **args)
    if not isinstance(encoder, torch.nn.Module):
        raise ZooError(f"identity encoder '{name}' is not a torch module: it cannot embed faces")
    return IdentityEmbedder(encoder=encoder.to(device).eval(), threshold=threshold, name=name)
