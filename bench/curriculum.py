"""Method P against direct training: wall time to the same held-out L1 at the top resolution.

    python bench/curriculum.py [--out bench/curriculum.png] [--scale 1.0]

Both runs go through ``zoo run``'s own machinery (recipes below, built-in stages, one process) on
synthfaces with exact ground-truth labels, so the only difference is the schedule:

- direct: the 64 px generator trained from scratch on 64 px triplets for a fixed step budget;
- progressive (METHODS.md P1-P6): a 32 px generator trained on many cheap 32 px triplets, grown
  to 64 px, the new layer trained with the rest frozen, then everything fine-tuned on fewer
  64 px triplets.

The ``train`` stages log held-out L1 against the exact swaps every few steps (``validate_every``)
with wall-clock times. The target is the direct run's final L1; the speed-up is the direct run's
wall time over the time the progressive run first reaches that L1 at 64 px (both timed from the
start of their runs, sample building included). Target: >= 3x (ProGAN reports 2-6x). Prints JSON
and writes the two validation curves as a PNG.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

GENERATOR = "{backbone: adain_swap, resolution: %d, channels: 16, max_channels: 64, downsamples: 2, blocks: 2, id_dim: 64}"
COMMON = """
seed: 0
data: {dataset: synthfaces, identities: 48, images_per_identity: 12}
model:
  generator: %s
losses:
  - {loss: pixel}
output: {dir: %s, checkpoint_every: 100000}
"""
DIRECT = """name: direct
stages:
  - {stage: build_triplets, resolution: 64, quantity: 600, swapper: exact}
  - {stage: train, steps: %(direct)d, batch_size: 16, lr: 0.001, validate_every: %(every)d, log_every: 1000}
"""
PROGRESSIVE = """name: progressive
stages:
  - {stage: build_triplets, resolution: 32, quantity: 1200, swapper: exact}
  - {stage: train, steps: %(low)d, batch_size: 16, lr: 0.001, log_every: 1000}
  - {stage: grow, size: 64}
  - {stage: build_triplets, resolution: 64, quantity: 300, swapper: exact}
  - {stage: train, steps: %(new)d, batch_size: 16, lr: 0.001, trainable: new, validate_every: %(every)d, log_every: 1000}
  - {stage: train, steps: %(all)d, batch_size: 16, lr: 0.0005, validate_every: %(every)d, log_every: 1000}
"""


def run_schedule(body: str, resolution: int, directory: Path) -> tuple[list[tuple[float, float]], float]:
    """Run one recipe; return (seconds since start, held-out L1 at 64 px) points and the total time."""
    from zoo import load_recipe, run

    directory.mkdir(parents=True)
    path = directory / "recipe.yaml"
    path.write_text(body + COMMON % (GENERATOR % resolution, directory / "run"))
    started = time.time()
    with contextlib.redirect_stdout(sys.stderr):  # the run's summary table; stdout carries the JSON only
        run(load_recipe(path))
    total = time.time() - started
    points = []
    for line in (directory / "run" / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("event") == "validate" and record["resolution"] == 64:
            points.append((record["time"] - started, record["val_l1"]))
    return points, total


def plot(curves: dict[str, list[tuple[float, float]]], target: float, path: Path) -> None:
    """Held-out L1 against wall time, one line per schedule, the target as a dashed line."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from curves import Panel, save_panels

    panel = Panel("held-out L1 at 64 px", "seconds since the run started", curves, {"direct run's final L1": target})
    save_panels([panel], path, "Method P 32->64 px vs direct 64 px (synthfaces, exact labels)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/curriculum.png"))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every step count (0.25 for a smoke run)")
    args = parser.parse_args()
    steps = {name: max(1, round(count * args.scale)) for name, count in
             {"direct": 800, "low": 600, "new": 100, "all": 400}.items()}
    steps["every"] = max(1, round(25 * args.scale))
    with tempfile.TemporaryDirectory() as tmp:
        warm = {name: 1 for name in steps}  # imports and first-call costs, paid before either timed run
        run_schedule(PROGRESSIVE % warm, 32, Path(tmp) / "warm-progressive")
        run_schedule(DIRECT % warm, 64, Path(tmp) / "warm-direct")
        direct, direct_time = run_schedule(DIRECT % steps, 64, Path(tmp) / "direct")
        progressive, progressive_time = run_schedule(PROGRESSIVE % steps, 32, Path(tmp) / "progressive")
    target = direct[-1][1]
    reached = next((t for t, value in progressive if value <= target), None)
    plot({"direct 64 px": direct, "progressive 32->64 px": progressive}, target, args.out)
    print(json.dumps({
        "steps": steps,
        "direct": {"seconds": round(direct_time, 1), "final_val_l1": round(target, 4)},
        "progressive": {
            "seconds": round(progressive_time, 1),
            "final_val_l1": round(progressive[-1][1], 4),
            "seconds_to_direct_final_l1": None if reached is None else round(reached, 1),
        },
        "speedup": None if reached is None else round(direct_time / reached, 2),
        "target_speedup": 3.0,
        "curves_png": str(args.out),
    }, indent=2))


if __name__ == "__main__":
    main()
