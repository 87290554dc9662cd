"""The streaming video swap: decode → track → batched generator → paste back → encode.

Frames flow through in batches of ``batch_size``: their faces (every selected track of every
frame in the batch) go through the generator in one call, which is where batching pays, then
each frame is pasted and handed to the encoder, so memory holds a few batches, never the clip.
The caller's thread decodes nothing and swaps nothing: it tracks (and detects on key frames), while
decoding, swapping (generator and paste-back) and encoding run in threads beside it
(:mod:`zoo_video.background`), one batch apart. The time spent in each stage is kept for
``bench/video.py``; stages overlap, so they can add up to more than the wall time.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import torch

from zoo.errors import EXIT_INTERRUPTED, ZooError
from zoo_faces.align import align_face
from zoo_faces.detections import FaceDetections
from zoo_faces.image import to_tensor
from zoo_inference.sources import SwapSource
from zoo_inference.swap import FaceSwapper
from zoo_video.background import BackgroundCalls, BackgroundWriter, prefetch
from zoo_video.container import DecodedFrame, VideoError, VideoInfo, open_video, probe_video, read_stream
from zoo_video.identity import IdentityEmbedder
from zoo.progress import Progress
from zoo_video.selection import FaceSelection
from zoo_video.tracking import FaceTracker, TrackerSettings
from zoo_video.writer import VideoWriter, check_output

__all__ = ["StageClock", "VideoInterrupted", "VideoJob", "VideoReport", "swap_video"]

TrackedFace = tuple[np.ndarray, np.ndarray]
"""A selected face in one frame: smoothed 5×2 landmarks and its box."""


class VideoInterrupted(ZooError):
    """Ctrl-C during a video swap; the finished frames are kept in the partial file."""

    exit_code = EXIT_INTERRUPTED


class StageClock:
    """Seconds spent per pipeline stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started


@dataclass(frozen=True)
class VideoJob:
    """How to process a clip: the segment, the encoder, tracking and batching."""

    start: float = 0.0
    end: float | None = None
    codec: str | None = None
    quality: int | None = None
    force: bool = False
    batch_size: int = 8
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    progress: bool = True


@dataclass
class VideoReport:
    output: Path
    frames: int
    faces_swapped: int
    detections: int
    tracks: int
    audio: str
    seconds: dict[str, float]
    """Per stage; encoding runs beside the rest, so these can add up to more than ``wall_seconds``."""
    wall_seconds: float

    def summary(self) -> str:
        return (f"{self.output}: {self.frames} frames, {self.faces_swapped} faces swapped, {self.tracks} face "
                f"track(s), detector on {self.detections} key frames, audio {self.audio}, "
                f"{self.frames / max(self.wall_seconds, 1e-9):.1f} frames/s")


def swap_video(
    swapper: FaceSwapper,
    source: SwapSource | torch.Tensor,
    target: Path,
    output: Path,
    face_index: int | None = None,
    all_faces: bool = False,
    reference: np.ndarray | None = None,
    embedder: IdentityEmbedder | None = None,
    job: VideoJob | None = None,
) -> VideoReport:
    """Swap ``source`` (an aligned face, 1×3×R×R, or several photos' :class:`SwapSource`) into the chosen
    faces of the clip ``target``."""
    started = time.perf_counter()
    job = job or VideoJob()
    check_output(output, job.force)
    info = probe_video(target)
    _check_segment(info, job)
    clock = StageClock()

    def detect(image: np.ndarray) -> FaceDetections:
        with clock("detect"):
            return swapper.detect(image)

    tracker = FaceTracker(detect, job.tracker, embedder)
    selection = FaceSelection(f"target {target}", face_index, all_faces, reference, embedder)
    selection.attach(tracker)
    with open_video(target) as probe:
        audio = probe.streams.audio[0] if probe.streams.audio else None
        writer = VideoWriter(output, info, audio, job.codec, job.quality, start_time=job.start)
    progress = Progress(f"swap {target.name}", _expected_frames(info, job) or None, unit="frame", enabled=job.progress,
                        leave=False, rate=True)
    encoder = BackgroundWriter(writer, depth=2 * job.batch_size, on_encode=clock)
    # Batches waiting to be swapped, in order with the audio. Its torch kernels run on one thread: with the
    # tracking thread's detector beside it, a second OpenMP team per thread only oversubscribes the cores
    # (measured: 18.4 -> 22.3 frames/s on two cores).
    swapping = BackgroundCalls("zoo-video-swap", depth=2, initializer=lambda: torch.set_num_threads(1))
    stream = prefetch(read_stream(target, info, job.start, job.end), depth=2 * job.batch_size)
    swapped = [0]

    def swap(batch: list[tuple[DecodedFrame, list[TrackedFace]]]) -> None:
        swapped[0] += _swap_batch(swapper, source, batch, encoder, clock)
        progress.update(len(batch))
    try:
        batch: list[tuple[DecodedFrame, list[TrackedFace]]] = []
        while True:
            with clock("decode"):  # waiting for the reader thread: decoding not hidden by the work
                item = next(stream, None)
            if item is None:
                break
            if isinstance(item, av.Packet):
                swapping.submit(encoder.write_audio, item)
                continue
            with clock("track"):  # includes the key-frame detections; separated below
                tracks = tracker.step(item.image, item.time)
            batch.append((item, [(track.landmarks.copy(), track.box.copy()) for track in tracks if track.selected]))
            if len(batch) >= job.batch_size:
                swapping.submit(swap, batch)
                batch = []
        if batch:
            swapping.submit(swap, batch)
        swapping.drain()
        encoder.drain()
        if writer.frames_written == 0:
            raise VideoError(f"{target}: no frames between --start {job.start:g} s and --end "
                             f"{'the end' if job.end is None else f'{job.end:g} s'}")
        with clock("encode"):
            writer.finish()
    except KeyboardInterrupt:
        progress.close()
        stream.close()
        swapping.stop()  # the batches already handed over are tracked: finish and keep them
        encoder.stop()
        partial = writer.keep_partial()
        raise VideoInterrupted(f"interrupted: the first {writer.frames_written} frames are in {partial} "
                               f"(playable); {output} was not written") from None
    except BaseException:
        progress.close()
        stream.close()
        swapping.stop()
        encoder.stop()
        writer.discard()
        raise
    progress.close()
    seconds = dict(clock.seconds)
    seconds["track"] = max(seconds.get("track", 0.0) - seconds.get("detect", 0.0), 0.0)
    return VideoReport(output=output, frames=writer.frames_written, faces_swapped=swapped[0],
                       detections=tracker.detections_run, tracks=tracker.started, audio=writer.audio_mode,
                       seconds={k: round(v, 4) for k, v in seconds.items()},
                       wall_seconds=round(time.perf_counter() - started, 3))


def _check_segment(info: VideoInfo, job: VideoJob) -> None:
    if job.end is not None and job.end <= job.start:
        raise VideoError(f"--end {job.end:g} must be after --start {job.start:g}")
    if info.duration and job.start >= info.duration:
        raise VideoError(f"--start {job.start:g} s is beyond the end of {info.path} ({info.duration:.2f} s)")


def _expected_frames(info: VideoInfo, job: VideoJob) -> int:
    duration = info.duration or (info.frames / float(info.rate) if info.frames else 0.0)
    end = duration if job.end is None else min(job.end, duration or job.end)
    if job.start == 0 and job.end is None and info.frames:
        return info.frames
    return max(round((end - job.start) * float(info.rate)), 0)


def _swap_batch(swapper: FaceSwapper, source: SwapSource | torch.Tensor, batch: list[tuple[DecodedFrame, list[TrackedFace]]],
                encoder: BackgroundWriter, clock: StageClock) -> int:
    """One generator call for every face of the batch's frames, then paste; encoding is handed on."""
    faces = [(row, points, box) for row, (_, tracked) in enumerate(batch) for points, box in tracked]
    pasted = [frame.image for frame, _ in batch]
    if not faces:
        for (frame, _), image in zip(batch, pasted):
            encoder.write(image, frame.pts)
        return 0
    with clock("align"):
        templates = torch.cat([to_tensor(align_face(batch[row][0].image, points, swapper.template_resolution).crop)
                               for row, points, _ in faces])
    with clock("generator"):
        results, own_masks = swapper.swap_faces(source, templates)
    with clock("paste"):
        for (row, points, box), face, own_mask in zip(faces, results, own_masks):
            pasted[row] = swapper.paste_face(pasted[row], batch[row][0].image, face, points, box, own_mask)
    for (frame, _), image in zip(batch, pasted):
        encoder.write(image, frame.pts)
    return len(faces)
