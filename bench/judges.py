"""Identity judges on real faces: top-1 retrieval of dlib_resnet next to MobileFaceNet, as JSON.

    python bench/judges.py [--assets DIR] [--per-identity 20]

Leave-one-out top-1: each face's nearest other face (cosine) must be the same person. Sets:
``glint`` (20 people, ArcFace-aligned 112 px crops, the first N per person) and ``johns`` (5
people × 11 dlib face chips, 150 px: *not* ArcFace-aligned, so they go through the zoo's own path
first, the ``dlib`` detector's 5 points and ``zoo_faces.align`` at 112 px). MobileFaceNet (CASIA
weights, the encoder recipes train with) is the baseline in the same run; faces/s for both.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import zoo  # noqa: E402 - first: zoo.threads sets OpenMP waiting before torch starts its pool
import torch  # noqa: E402

from zoo_faces.align import align_face  # noqa: E402
from zoo_faces.image import load_image, to_tensor  # noqa: E402


def default_assets() -> Path:
    configured = os.environ.get("ZOO_ASSETS")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "assets"


def glint_faces(root: Path, per_identity: int) -> tuple[list[np.ndarray], list[int]]:
    faces, labels = [], []
    for label, person in enumerate(sorted(p for p in root.iterdir() if p.is_dir())):
        for photo in sorted(person.glob("*.png"))[:per_identity]:
            faces.append(load_image(photo))
            labels.append(label)
    return faces, labels


def johns_faces(root: Path) -> tuple[list[np.ndarray], list[int], int]:
    """Johns aligned the zoo's way (dlib detector, 5 points, ArcFace template); chips without a face are counted."""
    detector = zoo.build("detector", "dlib", upsample=2)
    faces, labels, missed = [], [], 0
    for label, person in enumerate(sorted(p for p in root.iterdir() if p.is_dir())):
        for photo in sorted(person.glob("*.jpg")):
            image = load_image(photo)
            found = detector.detect([image])[0]
            if len(found) == 0:
                missed += 1
                continue
            faces.append(align_face(image, found.landmarks[0], 112).crop)
            labels.append(label)
    return faces, labels, missed


def leave_one_out_top1(embeddings: torch.Tensor, labels: list[int]) -> float:
    similarity = embeddings @ embeddings.T
    similarity.fill_diagonal_(-2.0)
    truth = torch.tensor(labels)
    return float((truth[similarity.argmax(1)] == truth).float().mean())


def judge(name: str, encoder: Any, faces: list[np.ndarray], labels: list[int]) -> dict[str, Any]:
    images = torch.cat([to_tensor(face) for face in faces])
    start = time.perf_counter()
    with torch.inference_mode():
        embeddings = torch.cat([encoder(images[i:i + 32]) for i in range(0, len(images), 32)])
    seconds = time.perf_counter() - start
    return {"top1": round(leave_one_out_top1(embeddings.float(), labels), 4), "faces": len(faces),
            "identities": len(set(labels)), "faces_per_s": round(len(faces) / seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, default=default_assets())
    parser.add_argument("--per-identity", type=int, default=20)
    args = parser.parse_args()
    encoders = {
        "dlib_resnet": zoo.build("backbone", "dlib_resnet"),
        "mobilefacenet": zoo.build("backbone", "mobilefacenet", flip=True,
                                   weights=str(args.assets / "weights" / "mobilefacenet_casia.safetensors")),
    }
    sets: dict[str, Any] = {}
    faces, labels = glint_faces(args.assets / "faces" / "glint", args.per_identity)
    sets["glint"] = {name: judge(name, encoder, faces, labels) for name, encoder in encoders.items()}
    faces, labels, missed = johns_faces(args.assets / "faces" / "johns")
    sets["johns"] = {name: judge(name, encoder, faces, labels) for name, encoder in encoders.items()}
    sets["johns"]["chips_without_a_detected_face"] = missed
    print(json.dumps(sets, indent=2))


if __name__ == "__main__":
    main()
