"""Registers the occlusion segmenter, its occluded-face dataset and its stages. Imports nothing heavy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo.registry import RegisterFn

__all__ = ["register_roles", "register_backbones", "register_datasets", "register_losses", "register_stages"]


@hookimpl
def register_roles(register) -> None:  # type: ignore[no-untyped-def]
    register("segmenter", "zoo_masks.roles:Segmenter",
             "aligned face -> soft visible-face mask: mask(faces), forward(faces) logits (zoo swap --mask occlusion)")
    register("segmentation_data", "zoo_masks.roles:SegmentationData",
             "masks to learn: batch(split, indices, seed) -> image, target, region (train_segmenter, evaluate_masks)")


@hookimpl
def register_backbones(register: RegisterFn) -> None:
    register("occlusion_unet", "zoo_masks.segmenter:OcclusionUNet",
             "segmenter: small U-Net, aligned face -> soft visible-face mask (hands, glasses, hair excluded)",
             role="segmenter")


@hookimpl
def register_datasets(register: RegisterFn) -> None:
    register("occluded_faces", "zoo_masks.dataset:OccludedFaces",
             "aligned faces with real and procedural occluders pasted on; target = face region minus occluders",
             role="segmentation_data")


@hookimpl
def register_losses(register: RegisterFn) -> None:
    register("occlusion_gated_pixel", "zoo_masks.gated_loss:OcclusionGatedPixel",
             "L1 pixel loss (F4) that skips the label's face pixels a frozen occlusion segmenter calls covered",
             role="loss")


@hookimpl
def register_stages(register: RegisterFn) -> None:
    register("train_segmenter", "zoo_masks.train:TrainSegmenter",
             "Train the occlusion segmenter on occluded faces made on the fly (exact resume)", role="stage")
    register("evaluate_masks", "zoo_masks.evaluate:EvaluateMasks",
             "Mask IoU on held-out faces and occluders: segmenter vs the landmark hull, per occluder kind",
             role="stage")
