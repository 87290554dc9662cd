"""Landmark accuracy on AFW (300-W 68-point ground truth), for every detector and the 68-point landmarker.

    python bench/landmarks_afw.py [--assets DIR] [--limit N] [--cnn-limit 40]

Normalised mean error (NME): mean point distance over the ground truth's inter-ocular distance
(outer eye corners, the 300-W convention), per annotated face, averaged. ``dlib68`` is measured on
all 68 points and on the 5 derived from them (which are exactly the ``dlib`` detector's 5); each
detector's own 5 points against the 5 derived from the ground truth the way the assets README
says. Detections are matched to the annotated face by box overlap (IoU ≥ 0.3 with the points'
box); an annotated face with no such detection is a miss and is left out of that row's NME.
Caveat: dlib's 68-point predictor was trained on iBUG 300-W, whose training part includes AFW, so
its numbers here are optimistic; RetinaFace was trained on WIDER FACE.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo_faces.image import load_image  # noqa: E402
from zoo_faces.landmark_accuracy import match_box, normalised_error, read_pts, truth_five  # noqa: E402


def default_assets() -> Path:
    configured = os.environ.get("ZOO_ASSETS")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "assets"


def summary(errors: list[float], misses: int, seconds: float, photos: int) -> dict[str, Any]:
    values = np.asarray(errors)
    return {
        "faces_measured": len(errors),
        "misses": misses,
        "nme_mean": round(float(values.mean()), 4) if len(values) else None,
        "nme_median": round(float(np.median(values)), 4) if len(values) else None,
        "failure_rate_nme_over_0.1": round(float((values > 0.1).mean()), 4) if len(values) else None,
        "images_per_s": round(photos / seconds, 3) if seconds else None,
    }


def measure(name: str, detector: Any, faces: list[tuple[Path, np.ndarray]]) -> dict[str, Any]:
    """Run one detector on every distinct photo once; score its 5 points (and 68, for dlib)."""
    results: dict[str, tuple[Any, np.ndarray | None]] = {}
    seconds = 0.0
    errors5, errors68, misses = [], [], 0
    for annotation, truth in faces:
        photo = annotation.with_suffix(".jpg")
        key = hashlib.sha1(photo.read_bytes()).hexdigest()  # AFW repeats a photo once per annotated face
        if key not in results:
            image = load_image(photo)
            start = time.perf_counter()
            if hasattr(detector, "detect_68"):
                results[key] = detector.detect_68(image)
            else:
                results[key] = (detector.detect([image])[0], None)
            seconds += time.perf_counter() - start
        found, points68 = results[key]
        match = match_box(truth, found.boxes)
        if match is None:
            misses += 1
            continue
        errors5.append(normalised_error(found.landmarks[match], truth_five(truth), truth))
        if points68 is not None:
            errors68.append(normalised_error(points68[match], truth, truth))
    report = {f"{name} (5 points)": summary(errors5, misses, seconds, len(results))}
    if errors68:
        report[f"dlib68 on {name} boxes (68 points)"] = summary(errors68, misses, seconds, len(results))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, default=default_assets())
    parser.add_argument("--limit", type=int, default=None, help="first N annotated faces only")
    parser.add_argument("--cnn-limit", type=int, default=40, help="the slow CNN detector on the first N faces (0: skip)")
    args = parser.parse_args()
    annotations = sorted((args.assets / "faces" / "afw68").glob("*.pts"))[: args.limit]
    faces = [(path, read_pts(path)) for path in annotations]
    weights = args.assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    results: dict[str, Any] = {}
    results |= measure("retinaface_mobilenet0.25", zoo.build("detector", "retinaface", body="mobilenet0.25",
                                                               weights=str(weights)), faces)
    results |= measure("dlib_hog", zoo.build("detector", "dlib", model="hog"), faces)
    if args.cnn_limit:
        subset = faces[: args.cnn_limit]
        results |= {f"{key} [first {len(subset)} faces]": value for key, value in
                    measure("dlib_cnn", zoo.build("detector", "dlib", model="cnn"), subset).items()}
        results |= {f"{key} [first {len(subset)} faces]": value for key, value in
                    measure("dlib_hog", zoo.build("detector", "dlib", model="hog"), subset).items()}
    print(json.dumps({"annotated_faces": len(faces), "normaliser": "outer eye corners (68-pt 36, 45)",
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
