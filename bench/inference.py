"""Inference costs: generator throughput, ``zoo swap`` stage by stage, and loading a model folder.

    python bench/inference.py [--model FOLDER] [--assets DIR]

- ``throughput``: aligned faces per second through ``generator.swap`` at the model's resolution,
  batch 1 and batch 16 (the batch-16 speed-up says how much batching photos would gain);
- ``end_to_end``: ``zoo swap --all-faces`` on ``multi_people3.jpg`` (1920×1080, 3 faces) split into
  detection (RetinaFace MobileNet-0.25, the offline weights) / alignment / generator / paste-back,
  each a median of RUNS, with its share of the total;
- ``loading``: ``zoo.from_pretrained`` of a local folder (build from config.json + strict safetensors
  load) versus building the same generator and ``torch.load(weights_only=True)`` of a ``.pt`` with
  the same state dict; ratio <= 1 means safetensors is not slower.

Without ``--model`` the generator is a quickstart-sized ``adain_swap`` (32 px grown to 64 px), random
weights: speed does not depend on training. Needs the shared assets for the end-to-end part
(``--assets``, else $ZOO_ASSETS, else ../shared/assets; skipped with a note when absent). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

RUNS = 7
REPO_ROOT = Path(__file__).resolve().parent.parent
QUICKSTART_GENERATOR = {"resolution": 32, "channels": 32, "max_channels": 128, "downsamples": 2, "blocks": 3,
                        "identity": "learned", "id_dim": 128, "growth": [64]}


def median_seconds(function: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def throughput(generator: Any, batch: int) -> dict[str, float]:
    import zoo  # first: zoo.threads sets OpenMP waiting before torch starts its pool
    import torch

    size = generator.input_resolution
    sources, templates = torch.rand(batch, 3, size, size), torch.rand(batch, 3, size, size)
    generator.swap(sources, templates)  # warm-up
    seconds = median_seconds(lambda: generator.swap(sources, templates))
    return {"batch": batch, "median_seconds": round(seconds, 5), "faces_per_second": round(batch / seconds, 1)}


def end_to_end(model_dir: Path, assets: Path) -> dict[str, Any]:
    import torch

    from zoo_faces.align import align_face, estimate_similarity, paste_back
    from zoo_faces.image import load_image, to_tensor
    from zoo_inference.swap import load_swapper

    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    swapper = load_swapper(model_dir, "retinaface", {"body": "mobilenet0.25", "weights": str(weights)})
    photo = load_image(assets / "faces" / "wild" / "multi_people3.jpg")
    source = swapper.source_face(load_image(assets / "faces" / "wild" / "obama_720p.jpg"))
    faces = swapper.detect(photo)
    size_in, size_out = swapper.input_resolution, swapper.output_resolution

    def align() -> torch.Tensor:
        return torch.cat([to_tensor(align_face(photo, points, size_in).crop) for points in faces.landmarks])

    templates = align()
    results = swapper.swap_aligned(source.expand(len(faces), -1, -1, -1), templates)

    def paste() -> None:
        pasted = photo
        for face, points in zip(results, faces.landmarks):
            pasted = paste_back(pasted, face, estimate_similarity(points, size_out))

    steps = {
        "detection": lambda: swapper.detect(photo),
        "alignment": align,
        "generator": lambda: swapper.swap_aligned(source.expand(len(faces), -1, -1, -1), templates),
        "paste_back": paste,
    }
    medians = {name: median_seconds(step) for name, step in steps.items()}
    whole = median_seconds(lambda: swapper.swap_photo(source, photo, all_faces=True))
    total = sum(medians.values())
    return {
        "photo": "multi_people3.jpg",
        "photo_size": [photo.shape[1], photo.shape[0]],
        "faces": len(faces),
        "median_seconds": {name: round(value, 5) for name, value in medians.items()},
        "share": {name: round(value / total, 3) for name, value in medians.items()},
        "swap_photo_median_seconds": round(whole, 5),
    }


def loading(model_dir: Path, workdir: Path) -> dict[str, Any]:
    import torch


    folder = zoo.from_pretrained(model_dir)
    generator = folder.parts["generator"]
    spec = folder.config["parts"]["generator"]
    pt_file = workdir / "generator.pt"
    torch.save(generator.state_dict(), pt_file)

    def build_and_torch_load() -> None:
        model = zoo.build("backbone", spec["name"], **spec["args"])
        model.load_state_dict(torch.load(pt_file, weights_only=True), strict=True)
        model.eval()

    candidates = {"from_pretrained": lambda: zoo.from_pretrained(model_dir), "build_and_torch_load": build_and_torch_load}
    for function in candidates.values():
        function()  # warm imports and the page cache for both paths
    timings: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(RUNS):  # interleaved, so drifting machine load hits both alike
        for name, function in candidates.items():
            started = time.perf_counter()
            function()
            timings[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "weights_mb": round((model_dir / spec["file"]).stat().st_size / 2**20, 2),
        "median_seconds": {name: round(value, 5) for name, value in medians.items()},
        "ratio_from_pretrained_vs_build_and_torch_load": round(
            medians["from_pretrained"] / medians["build_and_torch_load"], 3),
    }


def find_assets(given: str | None) -> Path | None:
    candidate = Path(given or os.environ.get("ZOO_ASSETS") or REPO_ROOT.parent / "shared" / "assets")
    return candidate if (candidate / "faces" / "wild" / "multi_people3.jpg").is_file() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder (default: a random quickstart-sized generator)")
    parser.add_argument("--assets", help="shared assets folder (faces/wild, weights)")
    options = parser.parse_args()

    import torch

    import zoo
    from zoo.modelfolder import PartSpec, save_model_folder

    workdir = Path(tempfile.mkdtemp(prefix="zoo-bench-inference-"))
    if options.model:
        model_dir = Path(options.model)
    else:
        torch.manual_seed(0)
        generator = zoo.build("backbone", "adain_swap", **QUICKSTART_GENERATOR)
        model_dir = save_model_folder(workdir / "model", {"generator": generator},
                                      {"generator": PartSpec("adain_swap", generator.build_args())}, {})
    generator = zoo.from_pretrained(model_dir).parts["generator"]
    report: dict[str, Any] = {
        "model": str(options.model or "random quickstart-sized adain_swap"),
        "resolution": {"input": generator.input_resolution, "output": generator.output_resolution},
        "torch_threads": torch.get_num_threads(),
        "runs": RUNS,
    }
    single, batched = throughput(generator, 1), throughput(generator, 16)
    report["throughput"] = {"batch_1": single, "batch_16": batched,
                            "batch_16_speedup": round(batched["faces_per_second"] / single["faces_per_second"], 2)}
    assets = find_assets(options.assets)
    report["end_to_end"] = end_to_end(model_dir, assets) if assets else {"skipped": "shared assets not found"}
    report["loading"] = loading(model_dir, workdir)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
