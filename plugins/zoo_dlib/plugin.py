"""Registers the dlib detector, 68-point landmarker and identity judge. Imports nothing heavy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo.registry import RegisterFn

__all__ = ["register_backbones", "register_detectors", "register_roles"]


@hookimpl
def register_roles(register) -> None:  # type: ignore[no-untyped-def]
    register("landmarker", "zoo_dlib.roles:Landmarker", "68 landmarks for face boxes: landmarks(image, boxes) -> K×68×2")


@hookimpl
def register_detectors(register: RegisterFn) -> None:
    register(
        "dlib",
        "zoo_dlib.detector:DlibDetector",
        "dlib HOG or CNN (MMOD) face detector + 68-point predictor reduced to 5 landmarks; PyPI only (default)",
    )


@hookimpl
def register_backbones(register: RegisterFn) -> None:
    register(
        "dlib68",
        "zoo_dlib.landmarks:Dlib68Landmarker",
        "68-point landmarker (dlib shape predictor, iBUG 300-W layout) for face boxes: landmarks(image, boxes)",
        role="landmarker",
    )
    register(
        "dlib_resnet",
        "zoo_dlib.judge:DlibResNetJudge",
        "dlib ResNet identity judge, 128-d, on aligned crops; no gradients (zoo eval's default judge)",
        role="judge",
    )
