"""Reading video files with PyAV: probing, one-line errors, and a streaming decode.

Frames are handed out upright (the stream's rotation metadata applied) because detectors and
generators only understand upright faces, and with the stored orientation and exact timestamp, so
that the writer can put every frame back where it came from: same rotation tag, same (possibly
variable) timing. Audio packets are passed through untouched, interleaved with the frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from zoo.errors import ZooError

__all__ = [
    "DecodedFrame", "VideoError", "VideoInfo", "is_image_file", "open_video", "probe_video", "read_stream", "stored",
    "upright",
]


class VideoError(ZooError):
    """A video file that cannot be read or written, or a segment with nothing in it."""


@dataclass(frozen=True)
class VideoInfo:
    """What the writer needs to reproduce a clip: geometry, timing, orientation, audio."""

    path: Path
    width: int
    height: int
    rotation: int
    """Degrees counter-clockwise a player turns the stored frames (0, 90, 180 or 270)."""
    rate: Fraction
    time_base: Fraction
    frames: int
    """Frame count from the container (0 when it does not say)."""
    duration: float
    codec: str
    audio_codec: str | None

    @property
    def upright_size(self) -> tuple[int, int]:
        """(width, height) as displayed."""
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)


@dataclass
class DecodedFrame:
    """One decoded frame: upright RGB pixels, its presentation time and its index in the clip."""

    index: int
    pts: int
    time: float
    image: np.ndarray


def is_image_file(path: Path) -> bool:
    """True when PIL recognises the content as an image (whatever the suffix says)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path):
            return True
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return False


def open_video(path: Path) -> av.container.InputContainer:
    """Open ``path`` for decoding or raise one :class:`VideoError` line that says why not."""
    what = f"cannot read video {path}"
    if not path.exists():
        raise VideoError(f"{what}: no such file")
    if path.is_dir():
        raise VideoError(f"{what}: it is a directory")
    if path.stat().st_size == 0:
        raise VideoError(f"{what}: the file is empty (0 bytes)")
    try:
        container = av.open(str(path), mode="r")
    except PermissionError:
        raise VideoError(f"{what}: permission denied") from None
    except av.error.EOFError:
        raise VideoError(f"{what}: the file ends before any frame (zero-length or truncated clip)") from None
    except (av.error.InvalidDataError, av.error.FFmpegError) as error:
        raise VideoError(f"{what}: not a photo or a video FFmpeg can read, or the file is truncated "
                         f"({_ffmpeg_reason(error)})") from None
    if not container.streams.video:
        found = ", ".join(f"{s.type} {s.codec_context.name}" for s in container.streams if s.codec_context)
        audio_only = bool(container.streams.audio)
        container.close()
        detail = f"an audio-only file: {found}" if audio_only else f"streams: {found or 'none'}"
        raise VideoError(f"{what}: it has no video stream ({detail})")
    return container


def _ffmpeg_reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)


def probe_video(path: Path) -> VideoInfo:
    """The clip's :class:`VideoInfo`, read from the container and its first frame (for rotation)."""
    container = open_video(path)
    try:
        stream = container.streams.video[0]
        context = stream.codec_context
        if context is None or not context.name:
            raise VideoError(f"cannot read video {path}: its video codec is not supported by this FFmpeg build")
        rotation = 0
        try:
            for frame in container.decode(stream):
                rotation = int(round(frame.rotation)) % 360
                break
            else:
                raise VideoError(f"cannot read video {path}: it has no frames (zero-length clip)")
        except av.error.FFmpegError as error:
            raise VideoError(f"cannot read video {path}: frame 0 cannot be decoded ({_ffmpeg_reason(error)})") from None
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        duration = float(stream.duration * stream.time_base) if stream.duration else (
            container.duration / av.time_base if container.duration else 0.0)
        return VideoInfo(path=path, width=context.width, height=context.height, rotation=rotation - rotation % 90,
                         rate=Fraction(rate), time_base=Fraction(stream.time_base), frames=int(stream.frames or 0),
                         duration=duration, codec=context.name, audio_codec=audio)
    finally:
        container.close()


def read_stream(
    path: Path, info: VideoInfo, start: float = 0.0, end: float | None = None
) -> Iterator[DecodedFrame | av.Packet]:
    """Decoded frames in ``[start, end)`` seconds, upright, and the audio packets of that span.

    Everything is streamed: at most one decoded frame is alive here at a time, so a ten-minute
    1080p clip costs no more memory than a ten-second one.
    """
    container = open_video(path)
    try:
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        audio = container.streams.audio[0] if container.streams.audio else None
        if start > 0:
            container.seek(int(start * av.time_base), backward=True, any_frame=False)
        streams = [video] + ([audio] if audio is not None else [])
        index = 0
        fallback_step = 1.0 / float(info.rate)
        for packet in container.demux(streams):
            if packet.stream is audio:
                if packet.pts is not None and _in_span(float(packet.pts * packet.time_base), start, end):
                    yield packet
                continue
            for frame in _decode(packet, path, index):
                time = float(frame.pts * frame.time_base) if frame.pts is not None else index * fallback_step
                if time < start - 1e-6:
                    continue
                if end is not None and time >= end - 1e-6:
                    return
                pts = frame.pts if frame.pts is not None else round(time / info.time_base)
                yield DecodedFrame(index=index, pts=pts, time=time, image=upright(frame, info.rotation))
                index += 1
    finally:
        container.close()


def _in_span(time: float, start: float, end: float | None) -> bool:
    return time >= start - 1e-6 and (end is None or time < end - 1e-6)


def _decode(packet: av.Packet, path: Path, index: int) -> list[av.VideoFrame]:
    try:
        return list(packet.decode())
    except av.error.FFmpegError as error:
        raise VideoError(f"cannot read video {path}: frame {index} cannot be decoded ({_ffmpeg_reason(error)}); "
                         "the file may be truncated or damaged") from None


def upright(frame: av.VideoFrame, rotation: int) -> np.ndarray:
    """The frame as a player shows it: RGB, rotated ``rotation`` degrees counter-clockwise."""
    pixels = frame.to_ndarray(format="rgb24")
    return np.ascontiguousarray(np.rot90(pixels, k=rotation // 90)) if rotation else pixels


def stored(image: np.ndarray, rotation: int) -> np.ndarray:
    """Undo :func:`upright`: back to the orientation the stream stores."""
    return np.ascontiguousarray(np.rot90(image, k=-(rotation // 90))) if rotation else image
