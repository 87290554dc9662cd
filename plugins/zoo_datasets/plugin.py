"""Registers the dataset readers and the bicubic upscaler. Imports nothing heavy (see zoo.hookspecs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo.registry import RegisterFn

__all__ = ["register_datasets", "register_backbones"]


@hookimpl
def register_datasets(register: RegisterFn) -> None:
    register("aligned", "zoo_datasets.aligned:AlignedFaces",
             "already-aligned face crops from a folder, one subfolder per identity")


@hookimpl
def register_backbones(register: RegisterFn) -> None:
    register("bicubic", "zoo_datasets.upscale:BicubicUpscaler",
             "antialiased bicubic upscaler for resolutions above the data's (P9)")
