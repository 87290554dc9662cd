"""Occlusion-mask IoU: a trained segmenter against the landmark hull, on the same held-out samples. Prints JSON.

    python bench/masks.py --model /tmp/masks_run/model [--assets ../shared/assets] [--samples 600]

Held-out faces (the last 4 Glint people) with held-out occluders (``object_test``, every 5th
glasses/eye-glasses/scarf file); ``hull`` is given each sample's exact face region, so it is the
best a landmark hull can do. The numbers are the same as the recipe's ``evaluate_masks`` stage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model folder exported by recipes/occlusion_mask.yaml")
    parser.add_argument("--assets", default=os.environ.get("ZOO_ASSETS") or str(REPO_ROOT.parent / "shared" / "assets"))
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    assets = Path(args.assets)
    if not (assets / "faces" / "glint").is_dir():
        raise SystemExit(f"shared assets not found at {assets}: pass --assets or set ZOO_ASSETS")

    import torch

    import zoo
    from zoo_masks.evaluate import score_masks
    from zoo_masks.loading import load_segmenter

    torch.set_num_threads(1)
    segmenter = load_segmenter(args.model)
    data = zoo.build("dataset", "occluded_faces", faces=str(assets / "faces" / "glint"),
                     occluders=str(assets / "occluders"), resolution=segmenter.resolution)
    started = time.perf_counter()
    scores, _ = score_masks(segmenter, data, args.samples, args.seed)
    seconds = time.perf_counter() - started
    print(scores.table(), file=sys.stderr)
    margin = scores.iou["segmenter_and_hull"]["all"] - scores.iou["hull"]["all"]
    print(json.dumps({"model": args.model, "seed": args.seed, **scores.to_json(),
                      "margin_over_hull": round(margin, 4), "seconds": round(seconds, 1),
                      "per_face_ms": per_face_cost(args.model, assets), "load_average": os.getloadavg()[0]}, indent=2))


def per_face_cost(model: str, assets: Path, repeats: int = 5) -> dict[str, float]:
    """Milliseconds per face for each mask on a real photo at a 256 px output crop, and the ratio to the hull."""
    import numpy as np

    import zoo
    from zoo_faces.image import load_image
    from zoo_masks.compose import MaskOptions
    from zoo_masks.loading import load_masker

    photo = load_image(assets / "faces" / "wild" / "obama_720p.jpg")
    faces = zoo.build("detector", "dlib").detect([photo])[0]
    timings: dict[str, float] = {}
    for kinds in ("hull", "contour", "occlusion", "occlusion,contour"):
        masker = load_masker(MaskOptions.parse(kinds), model if "occlusion" in kinds else None)
        masker.combine(masker.crop_masks(photo, faces.landmarks[0], 256, faces.boxes[0]))  # warm-up
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            masker.combine(masker.crop_masks(photo, faces.landmarks[0], 256, faces.boxes[0]))
            runs.append(time.perf_counter() - started)
        timings[kinds] = round(float(np.median(runs)) * 1000, 2)
    return {**timings, **{f"{k}_vs_hull": round(v / timings["hull"], 1) for k, v in timings.items() if k != "hull"}}


if __name__ == "__main__":
    main()
