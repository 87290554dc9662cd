"""Colour of the swapped face matched to the target's skin, before the paste-back blend.

A generator trained on other people's photos returns a face in its own average light and tone
(often pale or tinted); pasted as is, it reads as a mask even with a seamless blend. Matching the
face's Lab mean and spread to the target's own skin (where the blend mask meets the landmark hull;
Reinhard et al., 2001; :func:`zoo_faces.color.transfer_color`) moves tone and lighting level to the
target's while keeping every edge the generator drew. Only the face crop changes: whatever the mask
leaves out of the blend stays the photo's pixels.
"""

from __future__ import annotations

import numpy as np
import torch

from zoo_faces.color import transfer_color
from zoo_inference.paste_options import COLOR_MATCH_MODES, DEFAULT_COLOR_MATCH

__all__ = ["match_color"]

_MIN_MASK_WEIGHT = 1.0
"""A mask summing below one pixel has no skin to measure: the face is left as it is."""


def match_color(face: torch.Tensor, target: torch.Tensor, mask: np.ndarray, mode: str = DEFAULT_COLOR_MATCH
                ) -> torch.Tensor:
    """``face`` (3×S×S in [0, 1]) with the colour statistics ``target`` (the unswapped 3×S×S crop) has
    where the S×S blend ``mask`` is high; ``mode`` is one of :data:`COLOR_MATCH_MODES`."""
    if mode not in COLOR_MATCH_MODES:
        raise ValueError(f"colour match must be one of {', '.join(COLOR_MATCH_MODES)}, got {mode!r}")
    weights = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None]
    if mode == "none" or float(weights.sum()) < _MIN_MASK_WEIGHT:
        return face
    return transfer_color(face[None].float(), target[None].float(), weights)[0]
