"""Run a bench's recipe through ``zoo run``'s own machinery and judge the snapshots it left.

The training is timed without the judge: ``train`` stages only copy the generator's weights
(``snapshot_every``), and every snapshot is judged after the run, so a curve's wall times are
those of training alone (sample building included).
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

from held_out import HeldOutJudge, load_snapshot, snapshots

__all__ = ["judge_run", "run_recipe_text", "GLINT", "MOBILEFACENET"]

ASSETS = Path(__import__("os").environ.get("ZOO_ASSETS", Path(__file__).resolve().parents[1] / "../shared/assets"))
GLINT = ASSETS / "faces" / "glint"
MOBILEFACENET = ASSETS / "weights" / "mobilefacenet_casia.safetensors"


def run_recipe_text(body: str, directory: Path) -> tuple[Path, float, float]:
    """Write ``body`` as a recipe (``output`` pointed into ``directory``), run it; (run dir, start, seconds)."""
    from zoo import load_recipe, run

    directory.mkdir(parents=True)
    path = directory / "recipe.yaml"
    run_dir = directory / "run"
    path.write_text(body + f"output: {{dir: {run_dir}, checkpoint_every: 100000}}\n")
    started = time.time()
    with contextlib.redirect_stdout(sys.stderr):  # the run's summary table; stdout carries the JSON only
        run(load_recipe(path))
    return run_dir, started, time.time() - started


def judge_run(judge: HeldOutJudge, run_dir: Path, started: float, label: str) -> list[dict[str, Any]]:
    """Every snapshot at the judge's resolution: its stage step, seconds since the run started, scores."""
    points = []
    for moment, path in snapshots(run_dir, judge.resolution):
        scores = judge(load_snapshot(path))
        points.append({"snapshot": path.stem, "seconds": round(moment - started, 1), **scores.to_json()})
        print(f"{label} {path.stem}: top1 {scores.value('identity_top1'):.3f} "
              f"lm68 {scores.value('landmark68_distance'):.3f} ssim {scores.ssim:.3f}", file=sys.stderr, flush=True)
    return points
