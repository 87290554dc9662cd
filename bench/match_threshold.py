"""The identity-match threshold of ``zoo swap --reference``: same vs different people, per encoder.

    python bench/match_threshold.py [--identity dlib_resnet] [-i KEY=VALUE ...] [--per-person 20]

Embeds ``--per-person`` aligned photos of each of the 20 Glint identities in the shared assets and
prints JSON: the cosine similarity of same-person and different-person pairs (mean, percentiles),
the threshold that maximises (same accepted + different rejected) / 2, and both rates at a few
thresholds. The measured thresholds are in ``zoo_video.identity.MATCH_THRESHOLDS``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--identity", default="dlib_resnet")
    parser.add_argument("-i", dest="identity_args", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--per-person", type=int, default=20)
    args = parser.parse_args()
    assets = Path(os.environ.get("ZOO_ASSETS") or REPO_ROOT.parent / "shared" / "assets")

    import numpy as np
    import zoo  # first: zoo.threads sets OpenMP waiting before torch starts its pool
    import torch
    import torch.nn.functional as F

    from zoo_faces.image import load_image, to_tensor
    from zoo.assignments import parse_assignments

    encoder = zoo.build("backbone", args.identity, **parse_assignments(tuple(args.identity_args), "-i")).eval()
    embeddings, labels = [], []
    for label, person in enumerate(sorted((assets / "faces" / "glint").iterdir())):
        photos = sorted(person.glob("*.png"))[: args.per_person]
        with torch.inference_mode():
            batch = torch.cat([to_tensor(load_image(photo)) for photo in photos])
            embeddings.append(F.normalize(encoder(batch).float(), dim=1))
        labels += [label] * len(photos)
    vectors, people = torch.cat(embeddings).numpy(), np.array(labels)
    similarity = vectors @ vectors.T
    same_person = (people[:, None] == people[None]) & ~np.eye(len(people), dtype=bool)
    same, different = similarity[same_person], similarity[people[:, None] != people[None]]

    def rates(threshold: float) -> dict[str, float]:
        return {"same_accepted": round(float((same >= threshold).mean()), 4),
                "different_rejected": round(float((different < threshold).mean()), 4)}

    candidates = np.round(np.arange(-1.0, 1.0, 0.01), 2)
    best = float(max(candidates, key=lambda t: sum(rates(t).values())))
    print(json.dumps({
        "identity": args.identity, "people": int(people.max() + 1), "photos": len(people),
        "same": {"mean": round(float(same.mean()), 3), "p1": round(float(np.percentile(same, 1)), 3),
                 "p5": round(float(np.percentile(same, 5)), 3)},
        "different": {"mean": round(float(different.mean()), 3), "p95": round(float(np.percentile(different, 95)), 3),
                      "p99": round(float(np.percentile(different, 99)), 3)},
        "best_balanced_threshold": best, "at_best": rates(best),
        "at": {f"{t:.2f}": rates(t) for t in (best - 0.05, best + 0.05, best + 0.1)},
    }, indent=2))


if __name__ == "__main__":
    main()
