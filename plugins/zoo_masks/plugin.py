"""Registers the occlusion segmenter, its occluded-face dataset and its stages. Imports nothing heavy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo.registry import RegisterFn

__all__ = ["register_backbones", "register_datasets", "register_stages"]


@hookimpl
def register_backbones(register: RegisterFn) -> None:
    register("occlusion_unet", "zoo_masks.segmenter:OcclusionUNet",
             "segmenter: small U-Net, aligned face -> soft visible-face mask (hands, glasses, hair excluded)")


@hookimpl
def register_datasets(register: RegisterFn) -> None:
    register("occluded_faces", "zoo_masks.dataset:OccludedFaces",
             "aligned faces with real and procedural occluders pasted on; target = face region minus occluders")


@hookimpl
def register_stages(register: RegisterFn) -> None:
    register("train_segmenter", "zoo_masks.train:TrainSegmenter",
             "Train the occlusion segmenter on occluded faces made on the fly (exact resume)")
    register("evaluate_masks", "zoo_masks.evaluate:EvaluateMasks",
             "Mask IoU on held-out faces and occluders: segmenter vs the landmark hull, per occluder kind")
