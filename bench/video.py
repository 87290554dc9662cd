"""Video swapping end to end: the streaming, tracked pipeline against the naive per-photo path.

    python bench/video.py [--frames 300] [--assets DIR]

On a generated 1280×720 clip of ``--frames`` frames with one face (obama_720p.jpg under a slow pan
and zoom, 25 fps, H.264), in one process:

- ``pipeline``: ``zoo swap`` on the clip (key-frame detection every 10 frames (the default), optical-flow tracking,
  One-Euro smoothing, batches of 8 through the generator), frames/s end to end and the seconds per
  stage (decode / detect / track / align / generator / paste / encode);
- ``naive``: the baseline — every frame decoded, then detected and swapped as a separate photo
  through today's image path (``FaceSwapper.swap_photo``), then encoded; ``speedup`` is the ratio;
- ``stability``: flicker (mean frame-to-frame change inside the face box of the output minus that
  of the input, 0–255) and identity consistency (MobileFaceNet similarity of each output face to the
  source: mean and std) for the pipeline with and without smoothing and for the naive path, the
  face boxes and landmarks taken from the naive run's per-frame detections for all three;
- ``onnx``: generator faces/s through ONNX Runtime vs eager PyTorch at batch 1 and 16.

The generator is a quickstart-sized ``adain_swap`` (32 px grown to 64 px) with random weights:
speed does not depend on training; detection is the offline RetinaFace MobileNet-0.25 with its default
``max_size`` (1024 px).
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
QUICKSTART_GENERATOR = {"resolution": 32, "channels": 32, "max_channels": 128, "downsamples": 2, "blocks": 3,
                        "identity": "learned", "id_dim": 128, "growth": [64]}
WIDTH, HEIGHT, FPS = 1280, 720, 25
SEGMENT = 50  # frames per alternation of the pipeline and the naive path


def make_clip(path: Path, photo: Any, frames: int) -> list[Any]:
    """A slow drift (±8 px) and zoom (1.0 → 1.03) over the photo, H.264 at high quality; returns each
    frame's 2×3 matrix from photo pixels to frame pixels (where the true landmarks are)."""
    import av
    import cv2
    import numpy as np

    matrices = []
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast"}
        for index in range(frames):
            phase = index / max(frames - 1, 1)
            zoom = 1.0 + 0.03 * phase
            centre = (WIDTH / 2 + 8 * np.sin(2 * np.pi * phase), HEIGHT / 2 - 4 * phase)
            matrix = np.array([[zoom, 0, WIDTH / 2 - zoom * centre[0]], [0, zoom, HEIGHT / 2 - zoom * centre[1]]])
            matrices.append(matrix)
            image = cv2.warpAffine(photo, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return matrices


def naive(swapper: Any, source: Any, clip: Path, output: Path, start: float = 0.0,
          end: float | None = None) -> tuple[dict[str, Any], list[Any]]:
    """Today's photo path on every frame; returns its timing and the per-frame detections."""
    from zoo_video.container import DecodedFrame, probe_video, read_stream
    from zoo_video.writer import VideoWriter

    info = probe_video(clip)
    output.unlink(missing_ok=True)
    writer = VideoWriter(output, info, None, start_time=start)
    detections: list[Any] = []
    started = time.perf_counter()
    for item in read_stream(clip, info, start, end):
        if not isinstance(item, DecodedFrame):
            continue
        faces = swapper.detect(item.image)
        detections.append(faces)
        writer.write(swapper.swap_photo(source, item.image, all_faces=True, faces=faces) if len(faces) else item.image,
                     item.pts)
    writer.finish()
    seconds = time.perf_counter() - started
    return {"frames": len(detections), "seconds": round(seconds, 2),
            "frames_per_second": round(len(detections) / seconds, 2)}, detections


def pipeline(swapper: Any, source: Any, clip: Path, output: Path, smoothing: bool, start: float = 0.0,
             end: float | None = None) -> dict[str, Any]:
    from zoo_video.pipeline import VideoJob, swap_video
    from zoo_video.smoothing import SmoothingSettings
    from zoo_video.tracking import TrackerSettings

    job = VideoJob(force=True, progress=False, start=start, end=end,
                   tracker=TrackerSettings(smoothing=SmoothingSettings() if smoothing else None))
    started = time.perf_counter()
    report = swap_video(swapper, source, clip, output, all_faces=True, job=job)
    seconds = time.perf_counter() - started
    return {"frames": report.frames, "seconds": round(seconds, 2), "frames_per_second": round(report.frames / seconds, 2),
            "key_frames_detected": report.detections, "stage_seconds": report.seconds}


def stability(clip: Path, outputs: dict[str, Path], landmarks: list[Any], judge: Any, source_embedding: Any,
              ) -> dict[str, Any]:
    """Flicker and identity consistency of each output, at the clip's true landmarks."""
    import av

    from zoo_video.identity import cosine
    from zoo_video.metrics import FlickerMeter, identity_consistency

    containers = {name: av.open(str(path)) for name, path in {"input": clip, **outputs}.items()}
    decoders = {name: container.decode(video=0) for name, container in containers.items()}
    meters = {name: FlickerMeter() for name in outputs}
    similarities: dict[str, list[float]] = {name: [] for name in outputs}
    for points in landmarks:
        frames = {name: next(decoder).to_ndarray(format="rgb24") for name, decoder in decoders.items()}
        for name in outputs:
            meters[name].add(frames["input"], frames[name], points)
            similarities[name].append(cosine(judge.embed(frames[name], [points])[0], source_embedding))
    for container in containers.values():
        container.close()
    any_meter = next(iter(meters.values()))
    return {"input_change_in_face": round(any_meter.input_change, 3),
            **{name: {"flicker": round(meters[name].flicker, 3), "output_change": round(meters[name].output_change, 3),
                      "identity": identity_consistency(similarities[name])} for name in outputs}}


def interleaved_speed(swapper: Any, source: Any, clip: Path, work: Path, frames: int) -> dict[str, Any]:
    """Pipeline and naive path alternating over segments of the clip, so the load of a shared
    machine drifting during the run hits both alike; totals over the whole clip."""
    totals = {"pipeline": 0.0, "naive": 0.0}
    stages: dict[str, float] = {}
    key_frames = 0
    for first in range(0, frames, SEGMENT):
        start, end = first / FPS, min(first + SEGMENT, frames) / FPS
        run = pipeline(swapper, source, clip, work / "speed.mp4", smoothing=True, start=start, end=end)
        totals["pipeline"] += run["seconds"]
        key_frames += run["key_frames_detected"]
        for stage, seconds in run["stage_seconds"].items():
            stages[stage] = stages.get(stage, 0.0) + seconds
        totals["naive"] += naive(swapper, source, clip, work / "naive.mp4", start, end)[0]["seconds"]
    rates = {name: round(frames / seconds, 2) for name, seconds in totals.items()}
    return {
        "pipeline": {"frames_per_second": rates["pipeline"], "seconds": round(totals["pipeline"], 2),
                     "key_frames_detected": key_frames,
                     "stage_seconds": {stage: round(value, 2) for stage, value in stages.items()},
                     "stage_share": {stage: round(value / sum(stages.values()), 3) for stage, value in stages.items()}},
        "naive": {"frames_per_second": rates["naive"], "seconds": round(totals["naive"], 2)},
        "speedup_vs_naive": round(rates["pipeline"] / rates["naive"], 2),
    }


def detector_swapper(swapper: Any) -> Any:
    """The same detector with the classical compositor as the swapper: its output carries the
    source's real texture, so misaligned crops show up as flicker (a random generator paints a blur)."""
    from video_demo import CompositorGenerator

    from zoo_inference.swap import FaceSwapper

    return FaceSwapper(generator=CompositorGenerator(), detector=swapper.detector)  # type: ignore[arg-type]


def compositor_stability(swapper: Any, clip: Path, work: Path, frames: int, source_photo: Any,
                         true_landmarks: list[Any], assets: Path) -> dict[str, Any]:
    from zoo_video.identity import build_embedder

    source = swapper.source_face(source_photo)
    end = frames / FPS
    outputs = {name: work / f"{name}.mp4" for name in ("smoothed", "unsmoothed", "naive")}
    pipeline(swapper, source, clip, outputs["smoothed"], smoothing=True, end=end)
    pipeline(swapper, source, clip, outputs["unsmoothed"], smoothing=False, end=end)
    naive(swapper, source, clip, outputs["naive"], end=end)
    judge = build_embedder("mobilefacenet", {"weights": str(assets / "weights" / "mobilefacenet_casia.safetensors")})
    faces = swapper.detect(source_photo)
    source_embedding = judge.embed(source_photo, [faces.landmarks[0]])[0]
    result = {"swapper": "classical_compositor", "frames": frames,
              **stability(clip, outputs, true_landmarks[:frames], judge, source_embedding)}
    smoothed, unsmoothed = result["smoothed"]["flicker"], result["unsmoothed"]["flicker"]
    result["flicker_smoothed_vs_unsmoothed"] = round(smoothed / unsmoothed, 3) if unsmoothed > 0 else None
    return result


def onnx_throughput(generator: Any, folder: Path) -> dict[str, Any]:
    import torch

    from zoo_video.onnx_generator import export_onnx, load_onnx_generator

    export_onnx(folder, generator)
    runtimes = {"torch": generator, "onnx": load_onnx_generator(folder)}
    size = generator.input_resolution
    result: dict[str, Any] = {}
    for batch in (1, 16):
        sources, templates = torch.rand(batch, 3, size, size), torch.rand(batch, 3, size, size)
        times: dict[str, list[float]] = {name: [] for name in runtimes}
        for runtime in runtimes.values():
            runtime.swap(sources, templates)  # warm-up
        for _ in range(7):  # interleaved, so drifting machine load hits both alike
            for name, runtime in runtimes.items():
                started = time.perf_counter()
                with torch.inference_mode():
                    runtime.swap(sources, templates)
                times[name].append(time.perf_counter() - started)
        rates = {name: round(batch / statistics.median(values), 1) for name, values in times.items()}
        result[f"batch_{batch}"] = {"faces_per_second": rates, "onnx_vs_torch": round(rates["onnx"] / rates["torch"], 2)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--stability-frames", type=int, default=100, help="frames of the clip the flicker runs use")
    parser.add_argument("--assets", default=None)
    args = parser.parse_args()
    assets = Path(args.assets or os.environ.get("ZOO_ASSETS") or REPO_ROOT.parent / "shared" / "assets")
    if not (assets / "faces" / "wild" / "obama_720p.jpg").is_file():
        sys.exit(f"shared assets not found at {assets}: pass --assets or set ZOO_ASSETS")

    import zoo  # first: its OpenMP settings (zoo.threads) must be in place before torch starts its pool

    import torch
    from zoo.modelfolder import PartSpec, save_model_folder
    from zoo_faces.align import transform_points
    from zoo_faces.image import load_image
    from zoo_inference.swap import load_swapper

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        generator = zoo.build("backbone", "adain_swap", **QUICKSTART_GENERATOR).eval()
        folder = save_model_folder(work / "model", {"generator": generator},
                                   {"generator": PartSpec("adain_swap", generator.build_args())}, info={"name": "bench"})
        weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
        swapper = load_swapper(folder, "retinaface", {"body": "mobilenet0.25", "weights": str(weights)})
        source_photo = load_image(assets / "faces" / "wild" / "astronaut.png")
        source = swapper.source_face(source_photo)
        clip = work / "clip.mp4"
        started = time.perf_counter()
        photo = load_image(assets / "faces" / "wild" / "obama_720p.jpg")
        matrices = make_clip(clip, photo, args.frames)
        photo_landmarks = swapper.detect(photo).landmarks[0]
        true_landmarks = [transform_points(photo_landmarks, matrix) for matrix in matrices]
        print(f"clip made in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        results: dict[str, Any] = {"clip": {"size": [WIDTH, HEIGHT], "frames": args.frames, "fps": FPS}}
        pipeline(swapper, source, clip, work / "warm-up.mp4", smoothing=True, end=10 / FPS)  # also warms the naive path
        results.update(interleaved_speed(swapper, source, clip, work, args.frames))
        print(f"speed: {results['speedup_vs_naive']}x naive", file=sys.stderr)
        results["stability"] = compositor_stability(detector_swapper(swapper), clip, work, args.stability_frames,
                                                    source_photo, true_landmarks, assets)
        results["onnx"] = onnx_throughput(generator, folder)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
