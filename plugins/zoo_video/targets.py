"""``zoo swap`` on a video target, and the --reference / --runtime parts shared with photos."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zoo.errors import ZooError
from zoo_faces.image import load_image
from zoo_inference.swap import IMAGE_SUFFIXES, FaceSwapper, SwapError, largest_face
from zoo_video.container import is_image_file
from zoo_video.identity import DEFAULT_IDENTITY, IdentityEmbedder, build_embedder
from zoo_video.selection import ReferenceFilter

if TYPE_CHECKING:
    from zoo_video.options import SwapExtras

__all__ = ["is_video_target", "prepare_swapper", "reference_filter", "swap_video_file"]


def is_video_target(target: Path) -> bool:
    """A file that is not an image by content; a photo suffix counts only when no video stream is there."""
    if not target.is_file() or is_image_file(target):
        return False
    if target.suffix.lower() not in IMAGE_SUFFIXES:
        return True
    import av

    try:
        with av.open(str(target)) as container:
            # FFmpeg's image demuxers open anything named .jpg; only a real container makes it a video
            is_image_demuxer = container.format.name == "image2" or container.format.name.endswith("_pipe")
            return bool(container.streams.video) and not is_image_demuxer
    except (av.error.FFmpegError, OSError):
        return False


def prepare_swapper(extras: SwapExtras, swapper: FaceSwapper, model: str, revision: str | None) -> None:
    """``--runtime onnx``: replace the PyTorch generator with the folder's ``model.onnx``."""
    if extras.runtime != "onnx":
        return
    from zoo.hub import resolve_model
    from zoo_video.onnx_generator import load_onnx_generator

    if swapper.device != "cpu":
        raise ZooError("--runtime onnx runs on the CPU here (onnxruntime CPU build): drop --device")
    wants_mask = swapper.masker is not None and swapper.masker.wants_generator_mask
    swapper.generator = load_onnx_generator(resolve_model(model, revision), wants_mask)  # type: ignore[assignment]


def _embedder(extras: SwapExtras, device: str) -> IdentityEmbedder:
    from zoo.assignments import parse_assignments

    return build_embedder(extras.identity or DEFAULT_IDENTITY, parse_assignments(extras.identity_args, "-i"),
                          extras.match_threshold, device)


def _reference_embedding(extras: SwapExtras, swapper: FaceSwapper, embedder: IdentityEmbedder) -> np.ndarray:
    assert extras.reference is not None
    photo = load_image(extras.reference)
    faces = swapper.detect(photo)
    if len(faces) == 0:
        raise SwapError(f"--reference {extras.reference} has no face (the detector found none)")
    return embedder.embed(photo, [faces.landmarks[largest_face(faces)]])[0]


def reference_filter(extras: SwapExtras, swapper: FaceSwapper) -> ReferenceFilter:
    embedder = _embedder(extras, swapper.device)
    return ReferenceFilter(_reference_embedding(extras, swapper, embedder), embedder, str(extras.reference))


def swap_video_file(extras: SwapExtras, swapper: FaceSwapper, model: str, revision: str | None,
                    source: Path | list[Path], target: Path, output: Path, face_index: int | None,
                    all_faces: bool) -> str:
    """Swap into every chosen face of the clip; returns the one-line summary. ``source``: one photo, or several
    photos and folders averaged into one identity (:mod:`zoo_inference.sources`)."""
    from zoo_inference.sources import expand_sources, load_source
    from zoo_video.pipeline import VideoJob, swap_video
    from zoo_video.smoothing import SmoothingSettings
    from zoo_video.tracking import TrackerSettings

    prepare_swapper(extras, swapper, model, revision)
    source_face = load_source(swapper, expand_sources(source))
    # identities follow faces that leave and come back; with --all-faces every face is swapped anyway
    embedder = _embedder(extras, swapper.device) if extras.reference is not None or not all_faces else None
    reference = _reference_embedding(extras, swapper, embedder) if extras.reference is not None else None
    tracker = TrackerSettings(keyframe_interval=extras.keyframe_interval,
                              smoothing=None if extras.no_smoothing else SmoothingSettings())
    job = VideoJob(start=extras.start, end=extras.end, codec=extras.codec, quality=extras.crf,
                   force=extras.force, batch_size=extras.batch_size, tracker=tracker)
    report = swap_video(swapper, source_face, target, output, face_index=face_index, all_faces=all_faces,
                        reference=reference, embedder=embedder, job=job)
    return report.summary()
