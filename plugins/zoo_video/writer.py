"""Writing the swapped clip: same size, timing, rotation tag and audio, into a partial file first.

The output is written to ``<name>.partial<suffix>`` beside the target name and renamed only when the
last frame is in, so a crash or Ctrl-C never leaves a half-written file under the real name and
never destroys an existing one. An interrupted run closes the partial file properly (trailer
written), so what was finished stays playable.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from zoo.remedy import FORCE
from zoo_video.container import VideoError, VideoInfo, stored

__all__ = ["CRF_CODECS", "VideoWriter", "check_output", "default_codec", "partial_path"]

_MP4_AUDIO = frozenset({"aac", "mp3", "mp3float", "alac", "ac3", "eac3", "opus", "flac"})
_AUDIO_COPYABLE: dict[str, frozenset[str] | None] = {
    ".mp4": _MP4_AUDIO, ".m4v": _MP4_AUDIO, ".mov": _MP4_AUDIO | {"pcm_s16le", "pcm_s24le"},
    ".mkv": None, ".webm": frozenset({"opus", "vorbis"}),
}
"""Audio codecs each container can hold as they are (None: any); others are re-encoded."""
_AUDIO_ENCODER = {".webm": "libopus"}
_VIDEO_CODEC = {".webm": "libvpx-vp9"}
CRF_CODECS = {"libx264": 18, "libx265": 22, "libvpx-vp9": 31, "libsvtav1": 30}
"""Codecs that take a constant rate factor, ``--crf`` (lower is better), and their default."""
_COPY_NAMES = {"mp3float": "mp3"}


def default_codec(output: Path) -> str:
    """H.264 (plays everywhere) unless the container demands otherwise (WebM: VP9)."""
    return _VIDEO_CODEC.get(output.suffix.lower(), "libx264")


def partial_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.partial{output.suffix}")


def check_output(output: Path, force: bool) -> None:
    """Refuse, before any work, an output that cannot be written or would be overwritten."""
    if output.suffix.lower() not in _AUDIO_COPYABLE:
        raise VideoError(f"-o {output}: unsupported video container {output.suffix or '(no suffix)'!r} "
                         f"(use {', '.join(_AUDIO_COPYABLE)})")
    if not output.parent.is_dir():
        raise VideoError(f"output directory {output.parent} does not exist (for -o {output})")
    if output.is_dir():
        raise VideoError(f"-o {output} is a directory; name a video file")
    if output.exists() and not force:
        raise VideoError(f"{output} already exists; pass {FORCE} to overwrite it")


def _check_codec(codec: str, quality: int | None) -> None:
    try:
        found = av.codec.Codec(codec, "w")
    except (av.error.FFmpegError, ValueError):
        raise VideoError(f"--codec {codec}: not an encoder in this FFmpeg build "
                         f"(try libx264, libx265, libvpx-vp9, mpeg4)") from None
    if found.type != "video":
        article = "an" if found.type[:1] in "aeiou" else "a"
        raise VideoError(f"--codec {codec}: is {article} {found.type} encoder, not a video one")
    if quality is not None and codec not in CRF_CODECS:
        raise VideoError(f"--crf applies to {', '.join(CRF_CODECS)}, not --codec {codec}")


class VideoWriter:
    """Encodes upright RGB frames back into the input's orientation, timing and audio."""

    def __init__(self, output: Path, info: VideoInfo, audio: av.audio.stream.AudioStream | None,
                 codec: str | None = None, quality: int | None = None, start_time: float = 0.0) -> None:
        self.output = output
        self.partial = partial_path(output)
        self.info = info
        self.codec = codec or default_codec(output)
        _check_codec(self.codec, quality)
        self.frames_written = 0
        self._start_time = start_time
        self._video_offset = math.floor(Fraction(start_time) / info.time_base)
        """Ticks cut from every video timestamp: the segment start, the same span as the audio's, so the
        two stay in sync and a clip whose video starts after its audio keeps that gap."""
        self._container = av.open(str(self.partial), mode="w")
        try:
            self._video = self._add_video(quality)
            self._audio_in = audio
            self._audio_copy, self._audio_out = self._add_audio(audio)
        except BaseException:
            self._discard()
            raise

    def _add_video(self, quality: int | None) -> av.video.stream.VideoStream:
        try:
            stream = self._container.add_stream(self.codec, rate=self.info.rate)
        except ValueError as error:
            raise VideoError(f"--codec {self.codec} cannot be stored in a {self.output.suffix} file ({error})") from None
        stream.width, stream.height = self.info.width, self.info.height
        even = self.info.width % 2 == 0 and self.info.height % 2 == 0
        stream.pix_fmt = "yuv420p" if even or self.codec not in CRF_CODECS else "yuv444p"
        stream.time_base = self.info.time_base
        stream.codec_context.time_base = self.info.time_base
        if self.codec in CRF_CODECS:
            options = {"crf": str(quality if quality is not None else CRF_CODECS[self.codec])}
            if self.codec == "libx264":
                options["preset"] = "veryfast"  # ~2x "medium"'s speed; CRF keeps the quality
            if self.codec == "libvpx-vp9":
                options["b"] = "0"
            stream.options = options
        if self.info.rotation:
            stream.set_display_rotation(self.info.rotation)
        return stream

    def _add_audio(self, audio: av.audio.stream.AudioStream | None) -> tuple[bool, av.stream.Stream | None]:
        if audio is None:
            return False, None
        copyable = _AUDIO_COPYABLE[self.output.suffix.lower()]
        name = audio.codec_context.name
        if copyable is None or name in copyable:
            return True, self._container.add_stream_from_template(audio)
        encoder = _AUDIO_ENCODER.get(self.output.suffix.lower(), "aac")
        stream = self._container.add_stream(encoder, rate=audio.codec_context.sample_rate or 48000)
        return False, stream

    @property
    def audio_mode(self) -> str:
        if self._audio_out is None:
            return "none"
        return "copied" if self._audio_copy else f"re-encoded ({self._audio_out.codec_context.name})"

    def write(self, image: np.ndarray, pts: int) -> None:
        """One upright RGB frame with its input timestamp, shifted to the segment start like the audio."""
        frame = av.VideoFrame.from_ndarray(stored(image, self.info.rotation), format="rgb24")
        frame.pts = max(pts - self._video_offset, 0)
        frame.time_base = self.info.time_base
        self._mux(self._video.encode(frame))
        self.frames_written += 1

    def write_audio(self, packet: av.Packet) -> None:
        """An input audio packet, copied as it is or decoded and re-encoded, shifted to the segment start."""
        if self._audio_out is None:
            return
        offset = round(Fraction(self._start_time) / packet.time_base)
        if self._audio_copy:
            if packet.pts is None or packet.pts - offset < 0:
                return
            packet.pts -= offset
            if packet.dts is not None:
                packet.dts -= offset
            packet.stream = self._audio_out
            self._mux([packet])
            return
        for frame in packet.decode():
            if frame.pts is None or frame.pts - offset < 0:
                continue
            frame.pts -= offset
            self._mux(self._audio_out.encode(frame))

    def _mux(self, packets: list[av.Packet]) -> None:
        try:
            self._container.mux(packets)
        except av.error.FFmpegError as error:
            raise VideoError(f"cannot write {self.output}: {self.codec} video / {self.audio_mode} audio cannot be "
                             f"stored in a {self.output.suffix} file ({getattr(error, 'strerror', error)})") from None

    def _flush(self) -> None:
        self._mux(self._video.encode(None))
        if self._audio_out is not None and not self._audio_copy:
            self._mux(self._audio_out.encode(None))
        self._container.close()

    def finish(self) -> Path:
        """Flush the encoders and move the finished file to its real name."""
        try:
            self._flush()
        except BaseException:
            self._discard()
            raise
        os.replace(self.partial, self.output)
        return self.output

    def keep_partial(self) -> Path:
        """Close what was written so far into a playable ``.partial`` file (after Ctrl-C)."""
        self._flush()
        return self.partial

    def discard(self) -> None:
        """Drop the partial file after an error: a broken output is worse than none."""
        self._discard()

    def _discard(self) -> None:
        try:
            self._container.close()
        except av.error.FFmpegError:
            pass
        self.partial.unlink(missing_ok=True)
