"""Polyphase "pixel boost": a k× sharper face from the same model.

A generator sees a face at its own resolution R. Aligning the target at k·R instead and taking every
k-th pixel from k×k different starting offsets gives k² R×R sub-images, each the same face sampled
on a grid shifted by a fraction of an R-pixel. Each is swapped at R and the results are interleaved
back onto their own grids: the k·R crop then holds k² times the pixels the model ever produced at
once, each placed where its input came from, so the pasted face keeps detail a single R px swap
upscaled to the same size would blur away.
"""

from __future__ import annotations

from torch import Tensor

from zoo.errors import ZooError
from zoo_inference.paste_options import MAX_BOOST, check_boost_factor

__all__ = ["MAX_BOOSTED_SIZE", "check_pixel_boost", "interleave_phases", "split_phases"]

MAX_BOOSTED_SIZE = 1024
"""The largest k·R crop pasted back: beyond it no photo face has the pixels, and memory grows as (k·R)²."""


def check_pixel_boost(factor: int, input_resolution: int, output_resolution: int) -> None:
    """One :class:`ZooError` line for a factor this model cannot use; 1 (off) always passes."""
    check_boost_factor(factor)
    if factor == 1:
        return
    if input_resolution != output_resolution:
        raise ZooError(f"--pixel-boost {factor}: this model aligns its input at {input_resolution} px but returns "
                       f"{output_resolution} px, so its sub-images would not land on their own grids; use 1")
    if factor * output_resolution > MAX_BOOSTED_SIZE:
        raise ZooError(f"--pixel-boost {factor}: {factor} × {output_resolution} px = {factor * output_resolution} px "
                       f"face crops exceed {MAX_BOOSTED_SIZE} px; use at most "
                       f"{min(MAX_BOOST, MAX_BOOSTED_SIZE // output_resolution)}")


def split_phases(crops: Tensor, factor: int) -> Tensor:
    """N×C×kR×kR → (N·k²)×C×R×R; sub-image ``n·k² + i·k + j`` is ``crops[n, :, i::k, j::k]``."""
    count, channels, height, width = crops.shape
    if height != width or height % factor:
        raise ValueError(f"crops must be square with a side divisible by {factor}, got {tuple(crops.shape)}")
    size = height // factor
    phases = crops.reshape(count, channels, size, factor, size, factor).permute(0, 3, 5, 1, 2, 4)
    return phases.reshape(count * factor * factor, channels, size, size)


def interleave_phases(phases: Tensor, factor: int) -> Tensor:
    """Inverse of :func:`split_phases`: (N·k²)×C×R×R → N×C×kR×kR."""
    total, channels, size, _ = phases.shape
    if total % (factor * factor):
        raise ValueError(f"{total} sub-images are not a whole number of {factor}×{factor} groups")
    count = total // (factor * factor)
    crops = phases.reshape(count, factor, factor, channels, size, size).permute(0, 3, 4, 1, 5, 2)
    return crops.reshape(count, channels, size * factor, size * factor)
