"""``zoo swap``'s paste-back options (--color-match, --pixel-boost) and the mask that drives the blend by default.

Only click is imported: ``zoo --help`` stays fast. The work is in :mod:`zoo_inference.color_match`,
:mod:`zoo_inference.pixel_boost` and :meth:`zoo_inference.swap.FaceSwapper.paste_face`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from zoo.errors import ZooError

__all__ = ["COLOR_MATCH_MODES", "DEFAULT_COLOR_MATCH", "MAX_BOOST", "check_boost_factor", "default_mask",
           "paste_options"]

COLOR_MATCH_MODES = ("lab", "none")
"""``lab``: Lab mean and spread matched to the target's face inside the blend mask; ``none``: as generated."""
DEFAULT_COLOR_MATCH = "lab"
MAX_BOOST = 4

_OPTIONS = [
    click.option("--color-match", type=click.Choice(COLOR_MATCH_MODES), default=DEFAULT_COLOR_MATCH, show_default=True,
                 help="Match the swapped face's colour to the target's skin inside the blend mask (lab), or not."),
    click.option("--pixel-boost", type=int, default=1, show_default=True, metavar="K",
                 help=f"1 to {MAX_BOOST}: align the target at K× the model's resolution and swap its K×K interleaved "
                      "sub-images for a K× sharper face (K² generator calls per face)."),
]


def paste_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds ``--color-match`` and ``--pixel-boost`` to ``zoo swap`` (photos and videos alike)."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def check_boost_factor(factor: int) -> None:
    """The range check, before anything loads (the model's own limits: :func:`~.pixel_boost.check_pixel_boost`)."""
    if not 1 <= factor <= MAX_BOOST:
        raise ZooError(f"--pixel-boost {factor}: must be 1 (off) to {MAX_BOOST}")


def default_mask(generator: Any) -> str | None:
    """``generator`` when the model predicts its own blend mask (``swap_with_mask``, e.g. ``masked_swap``), so
    the model's idea of where the face is drives the blend; else None (the 5-point hull). Its ONNX export
    carries the mask too, so ``--runtime onnx`` blends the same way."""
    return "generator" if callable(getattr(generator, "swap_with_mask", None)) else None
