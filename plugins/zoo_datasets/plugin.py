"""Registers the dataset readers, the bicubic upscaler and ``zoo prepare``. Imports nothing heavy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

    from zoo.registry import RegisterFn

__all__ = ["register_roles", "register_datasets", "register_backbones", "register_commands"]


@hookimpl
def register_roles(register) -> None:  # type: ignore[no-untyped-def]
    register("dataset", "zoo_datasets.base:FaceDataset", "faces with identities: len, identity(i), images(indices, resolution)")
    register("swapper", "zoo_datasets.samples:Swapper", "makes labels: swap(source, template) on aligned faces, no gradients")
    register("upscaler", "zoo_datasets.base:Upscaler", "resolution enhancement (P9): upscale(images, size)")
    register("augmenter", "zoo_datasets.base:Augmenter",
             "training augmentation: (source, template, label, seed) -> augmented, template and label alike")


@hookimpl
def register_datasets(register: RegisterFn) -> None:
    register("aligned", "zoo_datasets.aligned:AlignedFaces",
             "already-aligned face crops from a folder, one subfolder per identity")
    register("folder", "zoo_datasets.folder:PhotoFolder",
             "photos (one subfolder per identity), detected and aligned once into a cache (zoo prepare)")
    register("concat", "zoo_datasets.concat:ConcatFaces",
             "several datasets as one (e.g. Glint + CFP), every member's people kept distinct")


@hookimpl
def register_backbones(register: RegisterFn) -> None:
    register("bicubic", "zoo_datasets.upscale:BicubicUpscaler",
             "antialiased bicubic upscaler for resolutions above the data's (P9)", role="upscaler")
    register("paired_augment", "zoo_datasets.augment:PairedAugment",
             "albumentations flip, affine and colour jitter; one draw for template and label, its own for the source",
             role="augmenter")


@hookimpl
def register_commands(cli: click.Group) -> None:
    from zoo_datasets.prepare_command import prepare_command  # click only: torch loads inside the command

    cli.add_command(prepare_command)
