"""Registers the synthfaces dataset. Imports nothing heavy (see zoo.hookspecs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo.registry import RegisterFn

__all__ = ["register_datasets"]


@hookimpl
def register_datasets(register: RegisterFn) -> None:
    register("synthfaces", "zoo_synthfaces.dataset:SynthFaces",
             "procedural aligned faces with separable identity/attributes and exact ground-truth swaps")
