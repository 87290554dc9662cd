"""Tiny test clips made with PyAV from the shared wild photos (pans, zooms, a face entering and
leaving, two people, a generated audio tone, variable frame rate, rotation metadata), and the
fixtures the video tests share: a small untrained model folder and the offline detector."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import torch

import zoo
from zoo.modelfolder import PartSpec, save_model_folder
from zoo_faces.image import load_image
from zoo_inference.swap import FaceSwapper, load_swapper

WIDTH, HEIGHT = 160, 120
TONE_HZ = 440.0
AUDIO_RATE = 16000


def scaled(photo: np.ndarray, width: int) -> np.ndarray:
    height = round(photo.shape[0] * width / photo.shape[1])
    return cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)


def window(photo: np.ndarray, centre: tuple[float, float], zoom: float = 1.0,
           size: tuple[int, int] = (WIDTH, HEIGHT)) -> np.ndarray:
    """The ``size`` view of ``photo`` centred at ``centre`` (photo pixels), magnified ``zoom``×; grey outside."""
    width, height = size
    matrix = np.array([[zoom, 0.0, width / 2 - zoom * centre[0]], [0.0, zoom, height / 2 - zoom * centre[1]]])
    return cv2.warpAffine(photo, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(128, 128, 128))


def pan(photo: np.ndarray, start: tuple[float, float], step: tuple[float, float], frames: int,
        zoom_step: float = 0.0) -> list[np.ndarray]:
    return [window(photo, (start[0] + i * step[0], start[1] + i * step[1]), 1.0 + i * zoom_step)
            for i in range(frames)]


def tone(seconds: float, rate: int = AUDIO_RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)


def write_clip(path: Path, frames: Sequence[np.ndarray], fps: int = 25, times: Sequence[float] | None = None,
               rotation: int = 0, audio: np.ndarray | None = None, codec: str = "libx264",
               audio_codec: str = "aac") -> Path:
    """Encode upright RGB ``frames``; with ``rotation`` they are stored turned back, tagged to display upright."""
    time_base = Fraction(1, 1000) if times is not None else Fraction(1, fps)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stored = [np.ascontiguousarray(np.rot90(frame, k=-(rotation // 90))) for frame in frames]
        stream.height, stream.width = stored[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = time_base
        if rotation:
            stream.set_display_rotation(rotation)
        sound = None
        if audio is not None:
            sound = container.add_stream(audio_codec, rate=AUDIO_RATE)
        for index, image in enumerate(stored):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = round(times[index] * 1000) if times is not None else index
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if sound is not None:
            chunk = 1024
            for start in range(0, len(audio), chunk):
                piece = audio[start:start + chunk]
                frame = av.AudioFrame.from_ndarray(piece[None], format="fltp", layout="mono")
                frame.sample_rate, frame.pts = AUDIO_RATE, start
                container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return path


def read_frames(path: Path) -> tuple[list[np.ndarray], list[float], int]:
    """Decoded frames as stored (RGB), their times in seconds, and the rotation tag."""
    with av.open(str(path)) as container:
        frames, times, rotation = [], [], 0
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            times.append(float(frame.pts * frame.time_base))
            rotation = int(round(frame.rotation)) % 360
    return frames, times, rotation


def read_audio(path: Path) -> tuple[str | None, np.ndarray]:
    """The audio codec name and its decoded mono samples (empty without audio)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None, np.zeros(0, np.float32)
        stream = container.streams.audio[0]
        samples = [frame.to_ndarray().astype(np.float32).reshape(frame.samples, -1).mean(axis=1)
                   if not frame.format.is_planar else frame.to_ndarray().astype(np.float32).mean(axis=0)
                   for frame in container.decode(stream)]
        return stream.codec_context.name, np.concatenate(samples) if samples else np.zeros(0, np.float32)


GENERATOR_ARGS = {"resolution": 16, "channels": 8, "max_channels": 16, "downsamples": 1, "blocks": 1, "id_dim": 16,
                  "growth": [32]}


@pytest.fixture(scope="session")
def video_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small 16→32 px adain_swap model folder, untrained: the tests are about the video pipeline."""
    torch.manual_seed(0)
    generator = zoo.build("backbone", "adain_swap", **GENERATOR_ARGS)
    folder = tmp_path_factory.mktemp("video") / "model"
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec("adain_swap", generator.build_args())},
                      info={"name": "video-test"})
    return folder


@pytest.fixture(scope="session")
def video_detector_args(assets: Path) -> dict[str, str]:
    return {"body": "mobilenet0.25", "weights": str(assets / "weights" / "retinaface_mobilenet0.25.safetensors"),
            "max_size": "640"}


@pytest.fixture(scope="session")
def video_swapper(video_model: Path, video_detector_args: dict[str, str]) -> FaceSwapper:
    return load_swapper(video_model, "retinaface", video_detector_args)


@pytest.fixture(scope="session")
def obama(assets: Path) -> np.ndarray:
    """obama_720p.jpg at 320 px wide (face about 60 px)."""
    return scaled(load_image(assets / "faces" / "wild" / "obama_720p.jpg"), 320)


@pytest.fixture(scope="session")
def source_photo(assets: Path) -> Path:
    return assets / "faces" / "wild" / "astronaut.png"


def detector_cli(args: dict[str, str]) -> list[str]:
    return ["--detector", "retinaface", *[item for key, value in args.items() for item in ("-a", f"{key}={value}")]]


def run_zoo(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from zoo.cli import main

    try:
        main([str(arg) for arg in argv])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
