"""The ``retinaface`` detector: boxes, scores and five landmarks for photos of any size."""

from __future__ import annotations

from functools import lru_cache
from math import ceil
from pathlib import Path
from typing import Annotated

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from torchvision.ops import nms

from zoo.errors import WeightsError
from zoo.paths import ExistingFile, WeightsLocation
from zoo_faces.detections import FaceDetections
from zoo_retinaface.network import BODIES, Body, build_network
from zoo_retinaface.published import RESNET50, converted_weights
from zoo_retinaface.upstream import decode, decode_landm
from zoo.weights import load_strict, resolve_weights

__all__ = ["RESNET50_URL", "RetinaFaceDetector", "prior_boxes"]

RESNET50_URL = RESNET50.url
"""retinaface-pytorch's published ResNet-50 (``retinaface.pre_trained_models``), converted once (zoo_retinaface.published)."""

_MIN_SIZES = ((16, 32), (64, 128), (256, 512))
_STEPS = (8, 16, 32)
_VARIANCE = (0.1, 0.2)
_STRIDE = 32
_PRE_NMS_TOP_K = 5000
_MAX_FACES = 750
_VERIFY_FACE = 64  # face width (px) at which detections are re-checked
_VERIFY_CONTEXT = 3.0  # crop side / face width for the re-check


@lru_cache(maxsize=32)
def prior_boxes(height: int, width: int) -> torch.Tensor:
    """retinaface-pytorch's ``priorbox`` (same anchors, same order), vectorised: its Python loop
    costs about a second per new image size."""
    levels = []
    for step, sizes in zip(_STEPS, _MIN_SIZES):
        rows, cols = ceil(height / step), ceil(width / step)
        ys, xs = torch.meshgrid(torch.arange(rows, dtype=torch.float64), torch.arange(cols, dtype=torch.float64),
                                indexing="ij")
        centres = torch.stack([(xs + 0.5) * step / width, (ys + 0.5) * step / height], -1)
        anchors = [torch.cat([centres, centres.new_tensor([size / width, size / height]).expand_as(centres)], -1)
                   for size in sizes]
        levels.append(torch.stack(anchors, 2).reshape(-1, 4))
    return torch.cat(levels).float()


def _other_body_hint(path, body: str) -> str:
    """Name the body a mismatched weights file belongs to: the usual mistake is the default body."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            keys = set(handle.keys())
    except Exception:  # noqa: BLE001 - a hint only; the strict-load error above is the message
        return ""
    for other in BODIES:
        if other != body and set(build_network(other).state_dict()) == keys:
            return f"; these are {other} weights: add body={other} (zoo swap/detect: -a body={other})"
    return ""


class RetinaFaceDetector:
    """RetinaFace face detector (retinaface-pytorch; ResNet-50 or MobileNet-0.25 body)."""

    def __init__(
        self,
        body: Body = "resnet50",
        weights: Annotated[
            WeightsLocation | None,
            Field(description="safetensors weights: a path, hf://org/repo/file.safetensors or an https URL; "
                              "None = the body's published weights (resnet50 only: downloaded, checked against "
                              "its pinned SHA-256 and converted to safetensors once)"),
        ] = None,
        checkpoint: Annotated[
            ExistingFile | None,
            Field(description="resnet50 without weights=: a local copy of the published checkpoint "
                              f"({RESNET50.url.rsplit('/', 1)[-1]}) for machines without internet, held to the "
                              f"same pin; also ${RESNET50.env}"),
        ] = None,
        max_size: Annotated[int, Field(gt=0, description="longer side is downscaled to this for detection")] = 1024,
        score_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5,
        nms_threshold: Annotated[float, Field(gt=0.0, le=1.0)] = 0.4,
        verify: Annotated[
            bool,
            Field(description="re-detect every face in a crop where it is 64 px wide and keep only faces found "
                              "again (removes false positives such as large animal faces; refines landmarks "
                              "from full-resolution pixels)"),
        ] = True,
        batch_size: Annotated[int, Field(gt=0, description="same-size inputs per forward pass")] = 8,
        device: str = "cpu",
        pretrained: Annotated[bool, Field(description="False: random weights, for timing only")] = True,
    ) -> None:
        self.body = body
        self.max_size = max_size
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.verify = verify
        self.batch_size = batch_size
        self.device = torch.device(device)
        config = BODIES[body]
        self._bgr = config.channel_order == "BGR"
        self._mean = torch.tensor(config.mean, dtype=torch.float32).view(1, 3, 1, 1)
        self._std = torch.tensor(config.std, dtype=torch.float32).view(1, 3, 1, 1)
        self._pad_colour = np.array(config.mean[:: -1 if self._bgr else 1]).round().astype(np.uint8)
        self.network = build_network(body)
        if pretrained:
            what = f"retinaface ({body})"
            path = self._weights_path(weights, checkpoint, what)
            try:
                load_strict(self.network, path, what=what)
            except WeightsError as error:
                raise WeightsError(f"{error}{_other_body_hint(path, body)}") from None
        self.network.eval().to(self.device)

    def _weights_path(self, weights: str | None, checkpoint: str | None, what: str) -> Path:
        if weights is not None:
            return resolve_weights(weights, what=what)
        if self.body == "resnet50":
            return converted_weights(RESNET50, local=checkpoint, what=what)
        raise WeightsError(
            f"retinaface ({self.body}) has no default weights: pass weights= a .safetensors file of the biubug6 "
            "Pytorch_Retinaface MobileNet-0.25 model (https://github.com/biubug6/Pytorch_Retinaface, "
            "mobilenet0.25_Final.pth converted to safetensors)"
        )

    def __call__(self, images: list[np.ndarray]) -> list[FaceDetections]:
        return self.detect(images)

    @torch.inference_mode()
    def detect(self, images: list[np.ndarray]) -> list[FaceDetections]:
        """Faces in each H×W×3 uint8 RGB image, best first, in that image's pixel coordinates.

        Larger images are downscaled so the longer side is at most ``max_size`` (memory and time
        stay bounded for 48-megapixel photos); results are mapped back to the original pixels.
        """
        for index, image in enumerate(images):
            _check_image(index, image)
        scales = [min(1.0, self.max_size / max(image.shape[:2])) for image in images]
        inputs = [_resize(image, scale) for image, scale in zip(images, scales)]
        found = [
            FaceDetections(boxes / scale, scores, points / scale)
            for (boxes, scores, points), scale in zip(self._run(inputs), scales)
        ]
        if self.verify:
            found = self._verified(images, found)
        return found

    def _run(self, inputs: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Detections (boxes, scores, K×5×2 landmarks) per input, in that input's pixels.

        Inputs are padded bottom/right to a multiple of 32 with the mean colour (zero after
        normalisation); inputs whose padded shape agrees share a forward pass.
        """
        results: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [_NONE] * len(inputs)
        groups: dict[tuple[int, int], list[int]] = {}
        for index, image in enumerate(inputs):
            shape = (-(-image.shape[0] // _STRIDE) * _STRIDE, -(-image.shape[1] // _STRIDE) * _STRIDE)
            groups.setdefault(shape, []).append(index)
        for (height, width), members in groups.items():
            priors = prior_boxes(height, width).to(self.device)
            for start in range(0, len(members), self.batch_size):
                chunk = members[start : start + self.batch_size]
                batch = np.empty((len(chunk), height, width, 3), dtype=np.uint8)
                batch[...] = self._pad_colour
                for row, index in enumerate(chunk):
                    batch[row, : inputs[index].shape[0], : inputs[index].shape[1]] = inputs[index]
                locations, confidences, landmarks = self.network(self._normalise(batch))
                scores = F.softmax(confidences, dim=-1)[..., 1]
                for row, index in enumerate(chunk):
                    results[index] = self._decode(locations[row], scores[row], landmarks[row], priors, width, height)
        return results

    def _normalise(self, batch: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float()
        if self._bgr:
            tensor = tensor.flip(1)
        return (tensor - self._mean.to(self.device)) / self._std.to(self.device)

    def _decode(
        self,
        locations: torch.Tensor,
        scores: torch.Tensor,
        landmarks: torch.Tensor,
        priors: torch.Tensor,
        width: int,
        height: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = torch.nonzero(scores > self.score_threshold).flatten()
        if keep.numel() == 0:
            return _NONE
        keep = keep[scores[keep].argsort(descending=True)[:_PRE_NMS_TOP_K]]
        pixels = torch.tensor([width, height], dtype=torch.float32, device=scores.device)
        boxes = decode(locations[keep], priors[keep], _VARIANCE) * pixels.repeat(2)
        points = decode_landm(landmarks[keep], priors[keep], _VARIANCE) * pixels.repeat(5)
        chosen = nms(boxes, scores[keep], self.nms_threshold)[:_MAX_FACES]
        return (
            boxes[chosen].cpu().numpy().astype(np.float32),
            scores[keep][chosen].cpu().numpy().astype(np.float32),
            points[chosen].reshape(-1, 5, 2).cpu().numpy().astype(np.float32),
        )

    def _verified(self, images: list[np.ndarray], found: list[FaceDetections]) -> list[FaceDetections]:
        """Keep faces the network finds again when each is cropped from the original pixels at 64 px.

        A cascade's second look: at large scales the light MobileNet body fires on animal faces
        with scores of 0.99, yet at the face size it was trained on most (WIDER FACE) it rejects
        them while real faces stay above 0.9. The re-found box and landmarks replace the first
        ones, since they come from full-resolution pixels.
        """
        side = round(_VERIFY_FACE * _VERIFY_CONTEXT)
        crops, transforms, owners = [], [], []
        for index, (image, faces) in enumerate(zip(images, found)):
            for box in faces.boxes:
                centre = (box[:2] + box[2:]) / 2.0
                zoom = _VERIFY_FACE / max(float(box[2] - box[0]), float(box[3] - box[1]), 1.0)
                offset = centre - side / (2.0 * zoom)
                matrix = np.array([[zoom, 0.0, -offset[0] * zoom], [0.0, zoom, -offset[1] * zoom]])
                interpolation = cv2.INTER_AREA if zoom < 1.0 else cv2.INTER_LINEAR
                crops.append(cv2.warpAffine(image, matrix, (side, side), flags=interpolation,
                                            borderMode=cv2.BORDER_REPLICATE))
                transforms.append((zoom, offset))
                owners.append(index)
        rechecked = self._run(crops)
        kept: list[list[tuple[np.ndarray, float, np.ndarray]]] = [[] for _ in images]
        for owner, (zoom, offset), (boxes, scores, points) in zip(owners, transforms, rechecked):
            centres = (boxes[:, :2] + boxes[:, 2:]) / 2.0
            near = np.abs(centres - side / 2.0).max(axis=1) < 0.3 * _VERIFY_FACE
            if near.any():
                best = int(np.flatnonzero(near)[scores[near].argmax()])
                kept[owner].append((boxes[best] / zoom + np.tile(offset, 2), float(scores[best]),
                                    points[best] / zoom + offset))
        return [self._merge(faces) for faces in kept]

    def _merge(self, faces: list[tuple[np.ndarray, float, np.ndarray]]) -> FaceDetections:
        """Best first, without the duplicates two nearby first-pass boxes can re-find."""
        if not faces:
            return FaceDetections.empty()
        boxes = torch.from_numpy(np.stack([box for box, _, _ in faces]).astype(np.float32))
        scores = torch.tensor([score for _, score, _ in faces], dtype=torch.float32)
        chosen = nms(boxes, scores, self.nms_threshold).numpy()
        return FaceDetections(
            boxes=boxes.numpy()[chosen],
            scores=scores.numpy()[chosen],
            landmarks=np.stack([points for _, _, points in faces]).astype(np.float32)[chosen],
        )


_NONE = (np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0, 5, 2), np.float32))


def _check_image(index: int, image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        described = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"image {index}: expected an H×W×3 uint8 RGB array, got {described}")


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
