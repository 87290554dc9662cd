"""The dlib detector (HOG and CNN) against RetinaFace MobileNet-0.25 on the shared wild photos, as JSON.

    python bench/detectors.py [--assets DIR] [--repeats 1]

For each detector, in one run on the same photos: faces found per photo (next to the count the
assets README states), 5-point agreement with RetinaFace (mean point distance over RetinaFace's
eye-centre distance, per face matched by its landmarks) and images/s, one image per call (how
``zoo swap``/``prepare`` call a detector) after one warm-up image. ``speed_vs_retinaface`` is the
ratio of images/s to RetinaFace's in the same run, so it survives a busy or different machine.
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

import zoo  # noqa: E402
from zoo_faces.image import load_image  # noqa: E402

EXPECTED = {"group6_t1.jpg": 6, "two_people.jpg": 2, "multi_people3.jpg": 3, "bald_guys_25.jpg": 25,
            "obama_720p.jpg": 1, "obama_partial_face.jpg": 1, "dogs_no_face.jpg": 0}
"""Face counts the assets README states; the other photos are reported without one."""

CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "retinaface_mobilenet0.25": ("retinaface", {"body": "mobilenet0.25"}),
    "dlib_hog_upsample1": ("dlib", {"model": "hog", "upsample": 1}),
    "dlib_hog_upsample2": ("dlib", {"model": "hog", "upsample": 2}),
    "dlib_cnn_upsample0": ("dlib", {"model": "cnn", "upsample": 0}),
    "dlib_cnn_upsample1": ("dlib", {"model": "cnn", "upsample": 1}),
}


def default_assets() -> Path:
    configured = os.environ.get("ZOO_ASSETS")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "assets"


def timed(detector: Any, images: list[np.ndarray], repeats: int) -> tuple[list[Any], float]:
    """Results of the first timed pass and the median images/s over ``repeats`` passes."""
    detector.detect(images[:1])  # one-time costs (lazy allocations) outside the timing
    rates, found = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        found = [detector.detect([image])[0] for image in images]
        rates.append(len(images) / (time.perf_counter() - start))
    return found, statistics.median(rates)


def agreement(found: Any, reference: Any) -> list[float]:
    """Per face of ``found`` that RetinaFace also found: mean 5-point distance / RetinaFace's eye distance."""
    distances = []
    for points in found.landmarks:
        if len(reference) == 0:
            break
        gaps = np.linalg.norm(reference.landmarks - points, axis=2).mean(1)
        best = int(gaps.argmin())
        eyes = float(np.linalg.norm(reference.landmarks[best, 1] - reference.landmarks[best, 0]))
        if gaps[best] < 0.5 * eyes:
            distances.append(float(gaps[best] / eyes))
    return distances


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, default=default_assets())
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    args = parser.parse_args()
    photos = sorted((args.assets / "faces" / "wild").iterdir())
    images = [load_image(photo) for photo in photos]
    weights = args.assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    results: dict[str, Any] = {}
    reference = None
    for label in ["retinaface_mobilenet0.25", *[name for name in args.only if name != "retinaface_mobilenet0.25"]]:
        name, detector_args = CONFIGS[label]
        if name == "retinaface":
            detector_args = {**detector_args, "weights": str(weights)}
        found, rate = timed(zoo.build("detector", name, **detector_args), images, args.repeats)
        reference = reference if reference is not None else found
        distances = [d for ours, theirs in zip(found, reference) for d in agreement(ours, theirs)]
        counted = {photo.name: len(faces) for photo, faces in zip(photos, found)}
        results[label] = {
            "faces_per_photo": counted,
            "exact_count_photos": f"{sum(counted[p] == n for p, n in EXPECTED.items())}/{len(EXPECTED)}",
            "faces_found": sum(counted.values()),
            "landmark_agreement_with_retinaface": round(float(np.mean(distances)), 4) if distances else None,
            "faces_matched_to_retinaface": len(distances),
            "images_per_s": round(rate, 3),
        }
    base = results["retinaface_mobilenet0.25"]["images_per_s"]
    for entry in results.values():
        entry["speed_vs_retinaface"] = round(entry["images_per_s"] / base, 3)
    print(json.dumps({"photos": len(photos), "expected_counts": EXPECTED, "repeats": args.repeats,
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
