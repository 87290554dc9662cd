"""How a training run shares the CPU: alone vs beside a second identical run, in one script.

Each measurement is a real ``zoo run --json`` subprocess of the quickstart's first two stages
(Method F groups at 32 px, then a train stage); images/s come from the train stage's time in the
run summary. Two thread setups are compared side by side:

- ``before``: torch imported before ``zoo``, so ``zoo.threads`` leaves OpenMP as it comes (active
  spin-waiting, one thread per CPU) — what every run did before thread settings existed;
- ``zoo``: a plain ``zoo run`` (a short spin then sleep, threads from the CPUs this process may use).

Reported: images/s alone and beside a twin, the slowdown (alone / beside; fair sharing is 2x),
zoo's alone-speed against before's, and the DDP step rate of 2 ranks vs 1 on the same cores.
Targets: slowdown <= 2.5, alone ratio >= 0.97. Prints JSON; progress goes to stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = 60
BATCH = 16
RECIPE = """
name: cpu_sharing
seed: 0
data: {{dataset: synthfaces, identities: 48, images_per_identity: 12}}
model:
  generator: {{backbone: adain_swap, resolution: 32, channels: 16, max_channels: 64, downsamples: 2, blocks: 2,
               identity: learned, id_dim: 64}}
  discriminator: {{backbone: patchgan, channels: 16, max_channels: 64, num_scales: 1}}
losses:
  - {{loss: pixel}}
  - {{loss: feature, weight: 0.1}}
  - {{loss: adversarial, weight: 0.02, mode: hinge}}
stages:
  - {{stage: build_groups, resolution: 32, quantity: 512}}
  - {{stage: train, steps: {steps}, batch_size: {batch}, lr: 0.001, log_every: 1000}}
output: {{checkpoint_every: 100000}}
"""

# The same CLI, but with torch loaded first: zoo.threads then changes nothing (the old defaults).
BEFORE = [sys.executable, "-c", "import torch, sys; from zoo.cli import main; main(sys.argv[1:])"]
ZOO = [sys.executable, "-m", "zoo"]


def _start(launcher: list[str], recipe: Path, out: Path, nproc: int = 1) -> subprocess.Popen[str]:
    command = [*launcher, "run", str(recipe), "--json", "-o", f"output.dir={out}"] + ["--nproc", str(nproc)] * (nproc > 1)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _train_seconds(process: subprocess.Popen[str]) -> float:
    stdout, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"bench run failed with exit {process.returncode}")
    stages = json.loads(stdout)["stages"]
    return next(stage["seconds"] for stage in stages if stage["stage"] == "train")


def _images_per_second(seconds: float) -> float:
    return round(STEPS * BATCH / seconds, 1)


def measure(launcher: list[str], recipe: Path, tmp: Path, label: str) -> dict[str, float]:
    """Alone, then two at once (started together); images/s of each."""
    print(f"{label}: alone", file=sys.stderr, flush=True)
    alone = _images_per_second(_train_seconds(_start(launcher, recipe, tmp / f"{label}-alone")))
    print(f"{label}: two at once", file=sys.stderr, flush=True)
    pair = [_start(launcher, recipe, tmp / f"{label}-pair{i}") for i in range(2)]
    beside = [_images_per_second(_train_seconds(p)) for p in pair]
    mean_beside = sum(beside) / 2
    return {"alone_images_per_s": alone, "beside_images_per_s": beside, "slowdown": round(alone / mean_beside, 2)}


def ddp_step_rates(recipe: Path, tmp: Path) -> dict[str, float]:
    rates = {}
    for nproc in (1, 2):
        print(f"ddp: {nproc} rank(s)", file=sys.stderr, flush=True)
        rates[nproc] = round(STEPS / _train_seconds(_start(ZOO, recipe, tmp / f"ddp{nproc}", nproc)), 2)
    return {"steps_per_s_1_rank": rates[1], "steps_per_s_2_ranks": rates[2], "ratio_2_to_1": round(rates[2] / rates[1], 2)}


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        recipe = tmp / "cpu_sharing.yaml"
        recipe.write_text(RECIPE.format(steps=STEPS, batch=BATCH))
        before = measure(BEFORE, recipe, tmp, "before")
        after = measure(ZOO, recipe, tmp, "zoo")
        ddp = ddp_step_rates(recipe, tmp)
    print(json.dumps({
        "steps": STEPS,
        "batch": BATCH,
        "before": before,
        "zoo": after,
        "alone_ratio_zoo_to_before": round(after["alone_images_per_s"] / before["alone_images_per_s"], 3),
        "ddp": ddp,
        "targets": {"slowdown": 2.5, "alone_ratio": 0.97},
        "meets_targets": after["slowdown"] <= 2.5
        and after["alone_images_per_s"] >= 0.97 * before["alone_images_per_s"],
        "seconds": round(time.perf_counter() - started, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
