"""Occlusion-mask IoU: a trained segmenter against the landmark hull, on the same held-out samples. Prints JSON.

    python bench/masks.py --model /tmp/masks_run/model [--assets ../shared/assets] [--samples 600] [--per-object 24]

Held-out faces (the last 4 Glint people) with held-out occluders (``object_test``, every 5th
glasses/eye-glasses/scarf file); ``hull`` is given each sample's exact face region, so it is the
best a landmark hull can do. The numbers are the same as the recipe's ``evaluate_masks`` stage.
``per_object`` places each ``object_test`` cut-out ``--per-object`` times on held-out faces (over
at least 20 face pixels), so one object the segmenter misses (a hand) is not averaged away.
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
    parser.add_argument("--per-object", type=int, default=24, help="placements of each object_test cut-out")
    args = parser.parse_args()
    assets = Path(args.assets)
    if not (assets / "faces" / "glint").is_dir():
        raise SystemExit(f"shared assets not found at {assets}: pass --assets or set ZOO_ASSETS")

    import zoo  # first: zoo.threads sets OpenMP waiting before torch starts its pool
    import torch

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
    objects = per_object_iou(segmenter, data, args.per_object, args.seed)
    print(json.dumps({"model": args.model, "seed": args.seed, **scores.to_json(),
                      "margin_over_hull": round(margin, 4), "per_object": objects, "seconds": round(seconds, 1),
                      "per_face_ms": per_face_cost(args.model, assets), "load_average": os.getloadavg()[0]}, indent=2))


def per_object_iou(segmenter, data, placements: int, seed: int) -> dict[str, dict[str, float]]:
    """For each ``object_test`` cut-out placed on held-out faces: IoU of hull, segmenter and both, and
    ``caught`` (share of the object's pixels on the face the segmenter calls covered) and ``face_cut``
    (share of the visible face it wrongly calls covered) — IoU alone hides a missed small hand."""
    import numpy as np
    import torch

    from zoo_masks.evaluate import mask_iou

    results = {}
    for number, occluder in enumerate(o for o in data.bank("test").occluders if o.category == "object_test"):
        rng = np.random.default_rng([seed, number])
        images, covers, regions = [], [], []
        while len(images) < placements:
            sample = data.sample_with("test", occluder, rng)  # composited exactly as the training samples are
            region = sample.region > 0.5
            if ((sample.alpha > 0.5) & region).sum() >= 20:  # on the face, not beside it
                images.append(sample.image)
                covers.append((sample.alpha > 0.5) & region)
                regions.append(region)
        batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div_(255.0)
        predicted = segmenter.mask(batch).numpy()[:, 0] > 0.5
        cover, hull = np.stack(covers), np.stack(regions)
        target = hull & ~cover
        results[occluder.name[:40]] = {
            "hull": round(float(mask_iou(hull, target).mean()), 3),
            "segmenter": round(float(mask_iou(predicted, target).mean()), 3),
            "segmenter_and_hull": round(float(mask_iou(predicted & hull, target).mean()), 3),
            "caught": round(float(np.mean([(~p[c]).mean() for p, c in zip(predicted, cover)])), 3),
            "face_cut": round(float(np.mean([(~p[t]).mean() for p, t in zip(predicted, target)])), 3)}
    return results


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
