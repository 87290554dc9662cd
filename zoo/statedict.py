"""Why a state dict does not fit a module, in one line a person can act on.

Strict loading is the rule for every weights file (model folders, identity encoders): a silent
partial load would train or swap with random layers. The message names what is missing, what is
left over and which shapes disagree, with counts and the first few names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["describe_mismatches"]

_SHOWN = 5


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f", … ({len(names) - _SHOWN} more)" if len(names) > _SHOWN else "")


def describe_mismatches(
    expected: Mapping[str, Any], found: Mapping[str, Any], found_as: str = "file", expected_as: str = "model"
) -> list[str]:
    """Missing and unexpected keys and shape mismatches (tensors with ``.shape``); empty when they fit."""
    problems = []
    missing = sorted(expected.keys() - found.keys())
    unexpected = sorted(found.keys() - expected.keys())
    if missing:
        problems.append(f"{len(missing)} missing keys: {_listing(missing)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys: {_listing(unexpected)}")
    shapes = [
        f"{name} {found_as} {tuple(found[name].shape)} vs {expected_as} {tuple(tensor.shape)}"
        for name, tensor in expected.items()
        if name in found and found[name].shape != tensor.shape
    ]
    if shapes:
        problems.append(f"{len(shapes)} shape mismatches: {_listing(shapes)}")
    return problems
