"""Build a :class:`~zoo_masks.compose.FaceMasker` for ``zoo swap``: the segmenter's model folder, the landmarker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo.errors import ZooError
from zoo_masks.compose import FaceMasker, MaskOptions

__all__ = ["load_masker", "load_segmenter"]


def load_segmenter(model: str | Path, device: str = "cpu") -> Any:
    """The segmenter of a model folder (or Hub repo) exported by ``recipes/occlusion_mask.yaml``."""
    import zoo

    from zoo.hub import resolve_model
    from zoo.modelfolder import read_config
    from zoo.registry import default_registry

    folder = resolve_model(model)
    config = read_config(folder)  # refuse a swapper before building and loading it
    name = config["parts"]["generator"]["name"]
    if default_registry().get("backbone", name).role != "segmenter":
        raise ZooError(f"--mask-model {model}: holds backbone '{name}', not a segmenter (train one with "
                       "recipes/occlusion_mask.yaml)")
    return zoo.from_pretrained(folder).parts["generator"].to(device).eval()


def load_masker(options: MaskOptions, mask_model: str | Path | None = None, generator: Any = None,
                device: str = "cpu") -> FaceMasker:
    """What ``options`` need, loaded once: the segmenter for ``occlusion``, ``dlib68`` for contour/regions."""
    import zoo

    if mask_model is not None and "occlusion" not in options.kinds:
        raise ZooError(f"--mask-model {mask_model} is only used by --mask occlusion (got --mask {','.join(options.kinds)})")
    segmenter = load_segmenter(mask_model, device) if "occlusion" in options.kinds and mask_model is not None else None
    landmarker = None
    if {"contour", "region"} & set(options.kinds):
        landmarker = zoo.build("backbone", "dlib68").landmarks
    return FaceMasker(options, segmenter=segmenter, landmarker=landmarker, generator=generator)
