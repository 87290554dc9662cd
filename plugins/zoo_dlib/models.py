"""Where the dlib model files live: the ``models/`` folder of face-recognition-models, found by path.

The package's ``__init__`` imports ``pkg_resources`` (gone from current setuptools), so importing
it can fail on a perfectly good install; its ``.dat`` files are read from its folder instead.
Loaded models are cached per process: the 68-point predictor alone is ~100 MB and a second to read.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from zoo.errors import ZooError

__all__ = ["MODEL_FILES", "ModelName", "load_model", "model_path", "models_folder"]

ModelName = Literal["detector_cnn", "landmarks_5", "landmarks_68", "recognition"]

MODEL_FILES: dict[str, str] = {
    "detector_cnn": "mmod_human_face_detector.dat",
    "landmarks_5": "shape_predictor_5_face_landmarks.dat",
    "landmarks_68": "shape_predictor_68_face_landmarks.dat",
    "recognition": "dlib_face_recognition_resnet_model_v1.dat",
}

_PACKAGE = "face_recognition_models"
_REINSTALL = "pip install --force-reinstall face-recognition-models (in a checkout: uv sync --reinstall-package face-recognition-models)"


def models_folder(override: str | Path | None = None) -> Path:
    """``override`` if given, else the installed face-recognition-models ``models/`` folder."""
    if override is not None:
        return Path(override).expanduser()
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ZooError("the dlib face models are not installed: pip install face-recognition-models "
                       "(in a checkout: uv sync)")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def model_path(name: ModelName, folder: str | Path | None = None) -> Path:
    """The path of one model file; a missing file is one line naming it and how to get it back."""
    path = models_folder(folder) / MODEL_FILES[name]
    if not path.is_file():
        hint = "point models_dir= at a folder that has it" if folder is not None else _REINSTALL
        raise ZooError(f"dlib model file {path} is missing: {hint}")
    return path


def load_model(name: ModelName, folder: str | Path | None = None) -> Any:
    """The dlib object for one model file (shared by every component that needs it)."""
    return _load(name, str(model_path(name, folder)))


@lru_cache(maxsize=8)
def _load(name: str, path: str) -> Any:
    import dlib

    constructors = {
        "detector_cnn": dlib.cnn_face_detection_model_v1,
        "landmarks_5": dlib.shape_predictor,
        "landmarks_68": dlib.shape_predictor,
        "recognition": dlib.face_recognition_model_v1,
    }
    try:
        return constructors[name](path)
    except RuntimeError as error:
        raise ZooError(f"dlib model file {path} cannot be read ({error}): {_REINSTALL}") from None
