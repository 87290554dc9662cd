"""Face pipeline throughput on the shared wild photos, printed as JSON.

    python bench/pipeline.py [--assets DIR] [--repeats 2] [--device cpu]

Detection: images/s of the ``retinaface`` detector at its default ``max_size`` (1024) for both
bodies, one image per call (how ``zoo prepare`` and ``zoo swap`` call it). MobileNet-0.25 uses the
shared safetensors weights and is timed with and without the 64 px re-check (``verify``, whose
cost grows with the number of faces). ResNet-50 has no safetensors weights offline, so it runs
with random weights (``pretrained=False``): timing of the full-image pass only, without
``verify`` (random scores hover around 0.5, so hundreds of meaningless boxes would be re-checked). The baseline, measured in the same run, is
retinaface-pytorch's own single-image path (``predict_single.Model``, ResNet-50, random weights,
its own max_size 1024 resize), so ``ratio_to_package`` survives a different or busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import zoo  # noqa: E402, F401 - first: zoo.threads sets OpenMP waiting before torch starts its pool
import torch  # noqa: E402

from zoo_faces.image import load_image  # noqa: E402
from zoo_retinaface.detector import RetinaFaceDetector  # noqa: E402

MOBILENET_WEIGHTS = Path("weights") / "retinaface_mobilenet0.25.safetensors"


def default_assets() -> Path:
    configured = os.environ.get("ZOO_ASSETS")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "assets"


def images_per_second(call: Any, images: list[np.ndarray], repeats: int) -> float:
    for image in images:  # warm-up: per-shape kernel selection and prior boxes, paid once per shape
        call(image)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for image in images:
            call(image)
        rates.append(len(images) / (time.perf_counter() - start))
    return statistics.median(rates)


def package_baseline(images: list[np.ndarray], repeats: int, device: str) -> float:
    from retinaface.predict_single import Model

    model = Model(max_size=1024, device=device)
    model.eval()
    return images_per_second(lambda image: model.predict_jsons(image), images, repeats)


def detection(assets: Path, repeats: int, device: str) -> dict[str, Any]:
    wild = sorted((assets / "faces" / "wild").glob("*.*"))
    images = [load_image(path) for path in wild]
    baseline = package_baseline(images, repeats, device)
    report: dict[str, Any] = {
        "images": len(images),
        "megapixels_mean": round(float(np.mean([i.shape[0] * i.shape[1] for i in images])) / 1e6, 3),
        "max_size": 1024,
        "baseline": {"what": "retinaface-pytorch predict_single.Model, resnet50, random weights",
                     "images_per_s": round(baseline, 3)},
        "bodies": {},
    }
    for body in ("mobilenet0.25", "resnet50"):
        if body == "mobilenet0.25":
            options: dict[str, Any] = {"weights": str(assets / MOBILENET_WEIGHTS)}
            weights = "shared safetensors (biubug6)"
        else:
            options = {"pretrained": False}
            weights = "random init: timing only (no safetensors ResNet-50 weights offline)"
        entry: dict[str, Any] = {"weights": weights}
        for verify in (True, False) if body == "mobilenet0.25" else (False,):
            detector = RetinaFaceDetector(body=body, verify=verify, device=device, **options)
            rate = images_per_second(lambda image: detector.detect([image]), images, repeats)
            key = "verify" if verify else "no_verify"
            entry[key] = {"images_per_s": round(rate, 3), "ratio_to_package": round(rate / baseline, 3)}
            if body == "mobilenet0.25":
                entry[key]["faces"] = {p.name: len(f) for p, f in zip(wild, detector.detect(images))}
        report["bodies"][body] = entry
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, default=default_assets())
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if not (args.assets / MOBILENET_WEIGHTS).is_file():
        raise SystemExit(f"shared assets not found at {args.assets}: pass --assets or set ZOO_ASSETS")
    result = {
        "bench": "pipeline",
        "device": args.device,
        "threads": torch.get_num_threads(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "detection": detection(args.assets, args.repeats, args.device),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
