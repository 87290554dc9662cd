"""Does Method F earn its place? F groups vs self-reconstruction vs fake labels only, at equal compute.

    flock /tmp/zoo_training.lock .venv/bin/python bench/method_f.py [--steps 300] [--scale 1] [--out docs/img/method_f.png]

Three runs of the same generator config and the same pixel loss (F4's L1, w1 1.0 / w2 0.5), on the
20 aligned Glint people minus 4 held out, with the same optimiser steps x images per step:

- ``f_groups``: Method F, fake-template (F1) + fake-label (F2) groups from the classical compositor;
- ``self``: self-reconstruction only, source = template = label (the SimSwap-style baseline);
- ``fake_label``: F2 only, the compositor's swaps as labels.

Every ``--every`` steps each run's generator is judged on the 4 held-out people (never trained on)
by dlib's ResNet (which no run trains with) and dlib's 68 landmarks: identity top-1 among the
held-out people plus the 16 training people as distractors, identity similarity, head-pose error,
landmark distance — and full-reference PSNR/SSIM against the real labels of held-out F1 groups.
The template-unchanged, source-copied and classical-compositor baselines are judged on the same
pairs. Prints JSON and writes the curves as a PNG.

GPU-scale variant: ``--scale 4 --steps 4000`` (channels x4, 64 images per step); add identity,
feature and adversarial losses to ``LOSSES`` to measure the full F4 objective (on this CPU the
identity loss's encoder alone is 4x the generator's step).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from curves import Panel, save_panels  # noqa: E402
from held_out import METRICS, HeldOutJudge, baseline_means, mean_of  # noqa: E402
from runs import GLINT, MOBILEFACENET, judge_run, run_recipe_text  # noqa: E402

HELD_OUT = 0.2  # of 20 people: 4, never trained on
SEED = 0
ARMS = {  # name -> (groups, batch per group): every run sees the same images per step
    "f_groups": (["fake_template", "fake_label"], 1),
    "self": (["self"], 2),
    "fake_label": (["fake_label"], 2),
}
LOSSES = "  - {loss: pixel}\n"
RECIPE = """name: method_f_%(arm)s
seed: %(seed)d
data: {dataset: aligned, root: %(root)s%(per_identity)s}
model:
  generator: {backbone: masked_swap, resolution: %(resolution)d, channels: %(channels)d, max_channels: %(max_channels)d,
              downsamples: 2, blocks: 2, identity: {name: mobilefacenet, weights: %(weights)s}}
losses:
%(losses)sstages:
  - {stage: build_groups, resolution: %(resolution)d, quantity: %(quantity)d, groups: %(groups)s, held_out: %(held_out)g}
  - {stage: train, steps: %(steps)d, batch_size: %(batch)d, lr: 0.001, snapshot_every: %(every)d, log_every: 1000}
"""


def recipe(arm: str, settings: dict[str, Any]) -> str:
    groups, share = ARMS[arm]
    return RECIPE % {**settings, "arm": arm, "groups": json.dumps(groups), "batch": settings["batch"] * share,
                     "quantity": settings["quantity"] * share, "root": GLINT, "weights": MOBILEFACENET,
                     "losses": LOSSES, "held_out": HELD_OUT, "seed": SEED, "per_identity": data_limit(settings)}


def data_limit(settings: dict[str, Any]) -> str:
    """The recipe's data arguments beyond the folder: ``max_per_identity`` for a smoke run."""
    limit = settings.get("per_identity")
    return "" if limit is None else f", max_per_identity: {int(limit)}"


def held_out_judge(resolution: int, pairs: int, groups: int, settings: dict[str, Any]) -> HeldOutJudge:
    """The judge on the people the build stages held out (same data, fraction and seed as the recipes).

    The training people are the retrieval gallery's distractors (all of them unless ``settings``
    limits ``distractors``, as a smoke run does: the judge's embeddings are its slowest part).
    """
    import zoo
    from zoo_datasets.base import identity_groups, split_identities

    data = zoo.build("dataset", "aligned", root=str(GLINT), max_per_identity=settings.get("per_identity"))
    train, evaluation = split_identities(data, HELD_OUT, seed=SEED)
    people = list(identity_groups(data, train.indices).values())[:settings.get("distractors")]
    distractors = [index for faces in people for index in faces]
    return HeldOutJudge(data, evaluation.indices, distractors, resolution, pairs=pairs, groups=groups, seed=SEED)


def compare_methods(settings: dict[str, Any], pairs: int, groups: int, workdir: Path) -> dict[str, Any]:
    """Train the three arms, judge each one's snapshots; the JSON this bench prints (without the PNG)."""
    print("judge: pairs, gallery and baselines on the held-out people ...", file=sys.stderr, flush=True)
    judge = held_out_judge(settings["resolution"], pairs, groups, settings)
    runs = {}
    for arm in ARMS:
        run_dir, started, seconds = run_recipe_text(recipe(arm, settings), workdir / arm)
        curve = judge_run(judge, run_dir, started, arm)
        runs[arm] = {"groups": ARMS[arm][0], "images_per_step": settings["batch"] * 2, "seconds": round(seconds, 1),
                     "curve": curve, "final": curve[-1]}
    return {"settings": settings, "evaluation": judge.describe(), "runs": runs, "baselines": judge.baselines()}


def plot(result: dict[str, Any], path: Path) -> None:
    """Each metric against training steps, one line per arm, the baselines dashed."""
    panels = []
    for metric in (*METRICS, "psnr", "ssim"):
        runs = {arm: [(float(p["snapshot"].rsplit("step", 1)[1]), mean_of(p[metric])) for p in run["curve"]]
                for arm, run in result["runs"].items()}
        baselines = baseline_means(result, metric)
        panels.append(Panel(metric, "training step", runs, baselines))
    save_panels(panels, path, "Method F vs self-reconstruction vs fake labels only: held-out people, dlib judge, "
                              f"{result['settings']['resolution']} px, equal steps x images")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/method_f.png"))
    parser.add_argument("--steps", type=int, default=300, help="optimiser steps per run")
    parser.add_argument("--every", type=int, default=60, help="steps between judged snapshots")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply channels, batch and samples (4 on a GPU)")
    parser.add_argument("--pairs", type=int, default=48, help="held-out (source, template) pairs judged")
    args = parser.parse_args()
    settings = {"resolution": 64, "steps": args.steps, "every": args.every,
                "channels": round(16 * args.scale), "max_channels": round(64 * args.scale),
                "batch": max(1, round(8 * args.scale)), "quantity": max(8, round(400 * args.scale))}
    with tempfile.TemporaryDirectory() as tmp:
        result = compare_methods(settings, args.pairs, args.pairs, Path(tmp))
    plot(result, args.out)
    print(json.dumps({**result, "curves_png": str(args.out)}, indent=1))


if __name__ == "__main__":
    main()
