"""Sample augmentation (albumentations 2.0) that keeps a label pixel-aligned with its template.

A sample's template and label show the same pose, lighting and background (the label differs
only in identity), so they get ONE draw of geometry and colour: shifting or recolouring one
without the other would teach the model to move or recolour faces. The source only lends its
identity, so it gets its own, independent draw.

When the label is larger than the template (METHODS.md P8), both are transformed by twin
pipelines seeded alike: every parameter drawn here is relative to the image size (rotation about
the centre, scale, translation in percent, flips), so the same draw is the same transform at
both resolutions.
"""

from __future__ import annotations

import os
from typing import Annotated

import numpy as np
from pydantic import Field

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # albumentations phones home on import otherwise

import albumentations as A  # noqa: E402
import cv2  # noqa: E402

__all__ = ["PairedAugment", "sample_seed"]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


def sample_seed(seed: int, index: int) -> int:
    """A per-sample seed: augmentation is reproducible from (seed, sample index) alone, no state."""
    return int(np.random.SeedSequence((int(seed), int(index))).generate_state(1)[0])


class PairedAugment:
    """Flip, small affine jitter and colour jitter; template and label always transformed alike."""

    def __init__(
        self,
        flip: Probability = 0.5,
        rotate: Annotated[float, Field(ge=0.0, le=45.0, description="max rotation, degrees")] = 6.0,
        scale: Annotated[float, Field(ge=0.0, lt=0.5, description="max relative zoom in or out")] = 0.05,
        shift: Annotated[float, Field(ge=0.0, lt=0.5, description="max translation, fraction of the side")] = 0.03,
        geometry: Annotated[Probability, Field(description="chance of the affine jitter")] = 0.5,
        colour: Annotated[float, Field(ge=0.0, le=1.0, description="brightness/contrast/saturation jitter")] = 0.15,
        hue: Annotated[float, Field(ge=0.0, le=0.5)] = 0.02,
        colour_p: Annotated[Probability, Field(description="chance of the colour jitter")] = 0.5,
    ):
        self.options = dict(flip=flip, rotate=rotate, scale=scale, shift=shift, geometry=geometry,
                            colour=colour, hue=hue, colour_p=colour_p)
        self._paired = self._pipeline(additional_targets={"label": "image"})
        self._single = self._pipeline()

    def _pipeline(self, additional_targets: dict[str, str] | None = None) -> A.Compose:
        o = self.options
        return A.Compose(
            [
                A.HorizontalFlip(p=o["flip"]),
                A.Affine(
                    scale=(1.0 - o["scale"], 1.0 + o["scale"]),
                    translate_percent=(-o["shift"], o["shift"]),
                    rotate=(-o["rotate"], o["rotate"]),
                    interpolation=cv2.INTER_LINEAR,
                    border_mode=cv2.BORDER_REFLECT_101,
                    p=o["geometry"],
                ),
                A.ColorJitter(brightness=o["colour"], contrast=o["colour"], saturation=o["colour"], hue=o["hue"],
                              p=o["colour_p"]),
            ],
            additional_targets=additional_targets,
            seed=0,
        )

    def _run(self, pipeline: A.Compose, seed: int, **images: np.ndarray) -> dict[str, np.ndarray]:
        pipeline.set_random_seed(seed)
        return pipeline(**images)

    def __call__(self, source: np.ndarray, template: np.ndarray, label: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Augment one sample of H×W×3 uint8 arrays; the same ``seed`` gives the same result."""
        source_out = self._run(self._single, seed ^ 0x5EED, image=source)["image"]
        if label.shape == template.shape:
            pair = self._run(self._paired, seed, image=template, label=label)
            return source_out, pair["image"], pair["label"]
        template_out = self._run(self._single, seed, image=template)["image"]
        label_out = self._run(self._single, seed, image=label)["image"]
        return source_out, template_out, label_out
