"""The classical compositor: a face swapper with no weights (METHODS.md P10, F1, F2).

The recipe of classical face replacement (e.g. Naruniec et al., EGSR 2020): put the source face
on the template's landmarks, give it the template's skin colour and lighting level, and blend
it inside the inner-face mask with a multi-band Laplacian pyramid so neither a colour step nor a
texture seam shows. It is the zoo's first "existing swapper" for building training groups and
has the same call as a trained generator.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from zoo.errors import ZooError
from zoo.refs import ComponentRef, Ref, as_ref
from zoo_faces.align import canonical_landmarks, umeyama, warp_affine
from zoo_faces.blend import laplacian_blend, pyramid_levels
from zoo_faces.color import transfer_color
from zoo_faces.expression import aligned_landmarks68, follow_landmarks
from zoo_faces.mask import MaskKind, face_mask

__all__ = ["ClassicalCompositor"]

LandmarkerRef = Ref("landmarker")


@lru_cache(maxsize=8)
def _canonical_mask(size: int, kind: str, feather: float) -> torch.Tensor:
    return torch.from_numpy(face_mask(size, canonical_landmarks(size), kind=kind, feather=feather))  # type: ignore[arg-type]


class ClassicalCompositor(nn.Module):
    """Classical face swap with no weights: align, Lab colour transfer, multi-band blending in a landmark mask."""

    def __init__(
        self,
        mask: Annotated[MaskKind, Field(description="face region: landmark hull (brows to chin) or ellipse")] = "hull",
        feather: Annotated[float, Field(ge=0.0, le=1.0, description="soft edge width, eye-to-mouth units")] = 0.3,
        color_transfer: Annotated[bool, Field(description="match the source's Lab statistics to the template")] = True,
        levels: Annotated[int | None, Field(ge=1, le=8, description="pyramid bands; None = from the size")] = None,
        template_lighting: Annotated[
            bool, Field(description="keep the template's coarsest band (its shading) under the source's detail")
        ] = True,
        expression: Annotated[
            float,
            Field(ge=0.0, le=1.0, description="how far the source's 68 landmarks first move toward the template's "
                                              "(a smooth warp): 0 keeps the source's expression (five-point alignment "
                                              "only), 1 gives the template's; above 0 it needs a landmarker"),
        ] = 0.0,
        landmarker: Annotated[LandmarkerRef, Field(description="68-point landmarker for expression above 0")] = "dlib68",
    ) -> None:
        super().__init__()
        self.mask = mask
        self.feather = feather
        self.color_transfer = color_transfer
        self.levels = levels
        self.template_lighting = template_lighting
        self.expression = expression
        self._landmarker_ref: ComponentRef = as_ref(LandmarkerRef, landmarker)
        self._landmarker: object | None = None

    def forward(
        self,
        source: torch.Tensor,
        template: torch.Tensor,
        source_landmarks: torch.Tensor | np.ndarray | None = None,
        template_landmarks: torch.Tensor | np.ndarray | None = None,
    ) -> torch.Tensor:
        return self.swap(source, template, source_landmarks, template_landmarks)

    @torch.no_grad()
    def swap(
        self,
        source: torch.Tensor,
        template: torch.Tensor,
        source_landmarks: torch.Tensor | np.ndarray | None = None,
        template_landmarks: torch.Tensor | np.ndarray | None = None,
    ) -> torch.Tensor:
        """Put each source's face into its template: N×3×H×W in [0, 1] → N×3×H×W at the template's size.

        Without landmarks both inputs are canonical aligned crops (the source is only resized to
        the template). With N×5×2 landmarks (pixels of each crop), the source is first warped onto
        the template's landmarks and the mask follows the template's landmarks.
        """
        if source.ndim != 4 or template.ndim != 4 or source.shape[:2] != template.shape[:2] or source.shape[1] != 3:
            raise ValueError(
                f"expected N×3×H×W source and template with the same N, got {tuple(source.shape)} and "
                f"{tuple(template.shape)}"
            )
        count = template.shape[0]
        height, width = int(template.shape[-2]), int(template.shape[-1])  # plain ints also while ONNX traces
        source = source.to(template)
        if source_landmarks is None and template_landmarks is None:
            if height != width:
                raise ValueError(f"canonical aligned crops are square, got a {height}×{width} template")
            if source.shape[-2:] != template.shape[-2:]:
                source = F.interpolate(source, size=(height, width), mode="bilinear", align_corners=False,
                                       antialias=True)
            masks = _canonical_mask(height, self.mask, self.feather).to(template).expand(count, 1, height, width)
        else:
            source_points = _points(source_landmarks, count, source.shape[-1])
            template_points = _points(template_landmarks, count, width)
            matrices = torch.from_numpy(np.stack([umeyama(s, t) for s, t in zip(source_points, template_points)]))
            source = warp_affine(source, matrices.to(source.device), (height, width))
            masks = torch.from_numpy(
                np.stack([face_mask((height, width), t, kind=self.mask, feather=self.feather) for t in template_points])
            ).to(template)[:, None]
        if self.expression > 0:
            source = self._follow_template_expression(source, template, template_landmarks)
        if self.color_transfer:
            statistics = (masks > 0.5).to(template)
            source = transfer_color(source, template, statistics)
        levels = self.levels if self.levels is not None else pyramid_levels(min(height, width))
        return laplacian_blend(source, template, masks, levels=levels, background_base=self.template_lighting)

    def _follow_template_expression(self, source: torch.Tensor, template: torch.Tensor,
                                    template_landmarks: torch.Tensor | np.ndarray | None) -> torch.Tensor:
        """The source (already in the template's frame) warped so its 68 landmarks move toward the template's."""
        if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
            raise ZooError("a classical_compositor with expression above 0 runs a landmarker (dlib) on every swap, "
                           "which cannot be traced or exported to ONNX: use --runtime torch for this model")
        if self._landmarker is None:
            self._landmarker = self._landmarker_ref.build()
        count, size = template.shape[0], template.shape[-1]
        five = None if template_landmarks is None else _points(template_landmarks, count, size)
        own = aligned_landmarks68(self._landmarker, source, five)
        wanted = aligned_landmarks68(self._landmarker, template, five)
        return follow_landmarks(source, own, wanted, self.expression)


def _points(landmarks: torch.Tensor | np.ndarray | None, count: int, size: int) -> np.ndarray:
    """Landmarks as N×5×2 float64; a missing side means a canonical crop of that size."""
    if landmarks is None:
        return np.broadcast_to(canonical_landmarks(size), (count, 5, 2))
    points = landmarks.detach().cpu().numpy() if isinstance(landmarks, torch.Tensor) else np.asarray(landmarks)
    if points.shape != (count, 5, 2):
        raise ValueError(f"expected {count}×5×2 landmarks, got {points.shape}")
    return points.astype(np.float64)
