"""Does Method P earn its place? Progressive 64 -> 128 px vs direct 128 px training, judged at 128 px.

    flock /tmp/zoo_training.lock .venv/bin/python bench/method_p.py [--scale 1] [--out docs/img/method_p.png]

Both runs train the same final network (``masked_swap`` with a 64 px core and one 128 px
resolution-update layer) with the same pixel loss on Method F groups from the classical compositor,
on the 20 aligned Glint people minus 4 held out, with the same images per step:

- ``direct``: that network built at 128 px and trained from scratch on 128 px groups;
- ``progressive`` (METHODS.md P1-P6): the 64 px network trained on many 64 px groups, grown
  to 128 px, the new layer trained alone, then everything, on fewer 128 px groups (upscaled from
  Glint's 112 px: P9).

Snapshots at 128 px are judged after each run (so judging costs no training time) on the
held-out people: full-reference SSIM/PSNR against the real labels of held-out fake-template (F1)
groups, and the dlib judge's identity similarity / top-1 and landmark distance, next to the
baselines. **Same quality** means: a held-out F1 SSIM at least the direct run's final one (and,
separately, a dlib identity similarity at least the direct run's final one). The speed-up is the
direct run's wall time to its final snapshot over the progressive run's wall time to its first
128 px snapshot of the same quality, both from the start of their runs, sample building included.
Prints JSON and writes the curves (quality against wall time) as a PNG.

GPU-scale variant: ``--scale 4 --width 4`` (steps and samples x4, channels and images per step x4).
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
from held_out import baseline_means, mean_of  # noqa: E402
from method_f import HELD_OUT, SEED, data_limit, held_out_judge  # noqa: E402
from runs import GLINT, MOBILEFACENET, judge_run, run_recipe_text  # noqa: E402

TARGETS = ("ssim", "identity_similarity")
COMMON = """seed: %(seed)d
data: {dataset: aligned, root: %(root)s%(per_identity)s}
model:
  generator: {backbone: masked_swap, resolution: 64, channels: %(channels)d, max_channels: %(max_channels)d,
              downsamples: 2, blocks: 2, identity: {name: mobilefacenet, weights: %(weights)s}%(growth)s}
losses:
  - {loss: pixel}
"""
DIRECT = """name: method_p_direct
stages:
  - {stage: build_groups, resolution: 128, quantity: %(high)d, held_out: %(held_out)g}
  - {stage: train, steps: %(direct)d, batch_size: %(batch)d, lr: 0.001, snapshot_every: %(every)d, log_every: 1000}
"""
PROGRESSIVE = """name: method_p_progressive
stages:
  - {stage: build_groups, resolution: 64, quantity: %(low)d, held_out: %(held_out)g}
  - {stage: train, steps: %(low_steps)d, batch_size: %(batch)d, lr: 0.001, log_every: 1000}
  - {stage: grow, size: 128}
  - {stage: build_groups, resolution: 128, quantity: %(fewer)d, held_out: %(held_out)g}
  - {stage: train, steps: %(new_steps)d, batch_size: %(batch)d, lr: 0.001, trainable: new, snapshot_every: %(every)d, log_every: 1000}
  - {stage: train, steps: %(all_steps)d, batch_size: %(batch)d, lr: 0.0005, snapshot_every: %(every)d, log_every: 1000}
"""


def recipes(settings: dict[str, Any]) -> dict[str, str]:
    values = {**settings, "seed": SEED, "root": GLINT, "weights": MOBILEFACENET, "held_out": HELD_OUT,
              "per_identity": data_limit(settings)}
    return {"direct": DIRECT % values + COMMON % {**values, "growth": ", growth: [128]"},
            "progressive": PROGRESSIVE % values + COMMON % {**values, "growth": ""}}


def _first_reaching(curve: list[dict[str, Any]], metric: str, target: float) -> float | None:
    for point in curve:
        value = point[metric]["mean"] if isinstance(point[metric], dict) else point[metric]
        if value is not None and value >= target:
            return point["seconds"]
    return None


def compare_schedules(settings: dict[str, Any], pairs: int, workdir: Path, warm_up: bool = True) -> dict[str, Any]:
    """Run both schedules (after a one-step warm-up of each), judge their 128 px snapshots; the JSON."""
    warm = {**settings, **{key: 1 for key in ("direct", "low_steps", "new_steps", "all_steps", "every")},
            **{key: 8 for key in ("high", "low", "fewer")}}
    for name, body in recipes(warm).items() if warm_up else ():  # imports and first-call costs, paid before timing
        run_recipe_text(body, workdir / f"warm-{name}")
    print("judge: pairs, gallery and baselines on the held-out people at 128 px ...", file=sys.stderr, flush=True)
    judge = held_out_judge(128, pairs, pairs, settings)
    runs = {}
    for name, body in recipes(settings).items():
        run_dir, started, seconds = run_recipe_text(body, workdir / name)
        curve = judge_run(judge, run_dir, started, name)
        runs[name] = {"seconds": round(seconds, 1), "curve": curve, "final": curve[-1]}
    direct_time = runs["direct"]["final"]["seconds"]
    same_quality = {}
    for metric in TARGETS:
        final = runs["direct"]["final"][metric]
        target = final["mean"] if isinstance(final, dict) else final
        reached = _first_reaching(runs["progressive"]["curve"], metric, target)
        same_quality[metric] = {"target": round(target, 4), "direct_seconds": direct_time,
                                "progressive_seconds": reached,
                                "speedup": None if not reached else round(direct_time / reached, 2)}
    return {"settings": settings, "evaluation": judge.describe(), "runs": runs, "same_quality": same_quality,
            "baselines": judge.baselines()}


def plot(result: dict[str, Any], path: Path) -> None:
    """Quality at 128 px against wall time, one line per schedule, baselines dashed."""
    panels = []
    for metric in ("ssim", "psnr", "identity_similarity", "identity_top1", "landmark68_distance", "pose_error_deg"):
        runs = {name: [(p["seconds"], mean_of(p[metric])) for p in run["curve"]] for name, run in result["runs"].items()}
        panels.append(Panel(metric, "seconds since the run started",
                            runs, baseline_means(result, metric)))
    save_panels(panels, path, "Method P: progressive 64->128 px vs direct 128 px, held-out people at 128 px, "
                              "vs wall time (sample building included)")


def settings_for(scale: float, width: float) -> dict[str, int]:
    """Steps and samples times ``scale``, channels and images per step times ``width``."""
    def times(count: int, factor: float) -> int:
        return max(1, round(count * factor))

    steps = {name: times(count, scale) for name, count in {"direct": 320, "high": 300, "low": 600, "fewer": 150,
             "low_steps": 400, "new_steps": 40, "all_steps": 200, "every": 40}.items()}
    return {"channels": times(16, width), "max_channels": times(64, width), "batch": times(4, width), **steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/method_p.png"))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply steps and samples (0.02 for a smoke run)")
    parser.add_argument("--width", type=float, default=1.0, help="multiply channels and images per step (4 on a GPU)")
    parser.add_argument("--pairs", type=int, default=48, help="held-out (source, template) pairs judged")
    args = parser.parse_args()
    settings = settings_for(args.scale, args.width)
    with tempfile.TemporaryDirectory() as tmp:
        result = compare_schedules(settings, args.pairs, Path(tmp))
    plot(result, args.out)
    print(json.dumps({**result, "curves_png": str(args.out)}, indent=1))


if __name__ == "__main__":
    main()
