"""The ``dlib_resnet`` judge: dlib's ResNet face-recognition embedder (128-d) on the zoo's aligned crops.

It scores identity in ``zoo eval`` and picks reference faces in video because no recipe trains
against it: a generator cannot have learnt to fool it. dlib runs it in C++, outside autograd, so
it has **no gradients** and can never be a training loss encoder; asking for one is an error.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from zoo.errors import ZooError
from zoo_dlib.models import load_model

__all__ = ["DlibResNetJudge"]

_CHIP_SIZE = 150  # dlib's recognition network input
_CHIP_PADDING = 0.25
_MIN_SIDE = 112  # smaller crops are upscaled first so the 5-point predictor sees enough pixels
_DETECTOR_BOX = (0.114, 0.251, 0.879, 1.016)
"""Where dlib's HOG detector puts its box on an ArcFace-aligned crop (x1, y1, x2, y2 in crop sides; mean
over 76 Glint faces). The 5-point predictor was trained on such boxes: on 200 Glint faces it gives
leave-one-out top-1 0.990, against 0.970 with the whole crop as the box."""


class DlibResNetJudge(nn.Module):
    """dlib ResNet identity embedder, 128-d, L2-normalised; a judge with no gradients (not a loss encoder).

    Input: N×3×H×W RGB in [0, 1], faces aligned to the ArcFace 5-point template at any size. dlib's
    own alignment is then applied on top: its 5-point predictor in the box its detector would find on
    such a crop, ``get_face_chip``
    (150 px, padding 0.25) and ``compute_face_descriptor``, the way the network was trained.
    """

    embedding_size = 128

    def __init__(
        self,
        jitters: Annotated[
            int, Field(ge=0, le=100, description="average over this many random jitters of each face "
                                                 "(dlib's num_jitters; 0 = none, deterministic)")
        ] = 0,
        models_dir: Annotated[
            str | None, Field(description="folder with the .dat files; None = the installed face-recognition-models")
        ] = None,
    ) -> None:
        super().__init__()
        self.jitters = jitters
        self._predictor = load_model("landmarks_5", models_dir)
        self._network = load_model("recognition", models_dir)
        super().train(False)

    def train(self, mode: bool = True) -> DlibResNetJudge:
        """Always in inference mode: there is nothing to train."""
        return super().train(False)

    def forward(self, images: Tensor) -> Tensor:
        """Aligned faces → unit-length 128-d identity embeddings (float32, on the input's device)."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"dlib_resnet: expected N×3×H×W RGB images, got {tuple(images.shape)}")
        if images.requires_grad and torch.is_grad_enabled():
            raise ZooError("dlib_resnet has no gradients (dlib runs outside autograd): it is a judge for "
                           "zoo eval, not an identity-loss encoder; train with mobilefacenet or arcface_iresnet")
        chips = [self.face_chip(face) for face in _to_uint8(images)]
        if not chips:
            return torch.zeros((0, self.embedding_size), dtype=torch.float32, device=images.device)
        descriptors = self._network.compute_face_descriptor(chips, self.jitters)
        embeddings = torch.from_numpy(np.asarray([np.asarray(d) for d in descriptors], dtype=np.float32))
        return F.normalize(embeddings, dim=1).to(images.device)

    def face_chip(self, face: np.ndarray) -> np.ndarray:
        """dlib's 150-px alignment of one H×W×3 uint8 aligned crop (what the network sees)."""
        import cv2
        import dlib

        if min(face.shape[:2]) < _MIN_SIDE:
            scale = _MIN_SIDE / min(face.shape[:2])
            size = (round(face.shape[1] * scale), round(face.shape[0] * scale))
            face = cv2.resize(face, size, interpolation=cv2.INTER_CUBIC)
        face = np.ascontiguousarray(face)
        height, width = face.shape[:2]
        x1, y1, x2, y2 = _DETECTOR_BOX
        box = dlib.rectangle(round(x1 * width), round(y1 * height), round(x2 * width) - 1, round(y2 * height) - 1)
        return dlib.get_face_chip(face, self._predictor(face, box), _CHIP_SIZE, _CHIP_PADDING)


def _to_uint8(images: Tensor) -> list[np.ndarray]:
    pixels = (images.detach().float().clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)
    return list(pixels.permute(0, 2, 3, 1).cpu().numpy())
