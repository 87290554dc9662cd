"""Registers the RetinaFace detector. Imports nothing heavy: the detector module loads on build."""

from __future__ import annotations

from zoo.hookspecs import hookimpl

__all__ = ["register_detectors"]


@hookimpl
def register_detectors(register):  # type: ignore[no-untyped-def]
    register(
        "retinaface",
        "zoo_retinaface.detector:RetinaFaceDetector",
        "RetinaFace (ResNet-50 or MobileNet-0.25): boxes, scores, 5 landmarks; any image size",
    )
