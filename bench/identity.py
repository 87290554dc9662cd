"""Cost of judging identity during training: encoder throughput next to the machine's dense peak.

    python bench/identity.py [--batch 16] [--runs 5]

For each encoder (MobileFaceNet, ArcFace IResNet-18/50; random weights: speed does not depend on
them), at the 128 px a training stage typically feeds it:

- ``forward``: aligned faces/s for a no-grad embedding (what labels and sources cost);
- ``forward_backward``: faces/s for embedding results and back-propagating to the input (what the
  identity loss adds to every generator step);
- ``gflops_per_image`` (``torch.utils.flop_counter``) and the achieved GFLOP/s of the
  forward+backward pass as a fraction of ``peak_gflops``: a large fp32 matmul timed in the same
  run. Prints JSON; medians of RUNS.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import zoo  # first: zoo.threads sets OpenMP waiting before torch starts its pool
import torch
from torch.utils.flop_counter import FlopCounterMode

ENCODERS = {
    "mobilefacenet": {},
    "arcface_iresnet18": {"depth": 18},
    "arcface_iresnet50": {"depth": 50},
}
SIZE = 128


def median_seconds(work: Callable[[], object], runs: int) -> float:
    work()  # warm-up: allocator and kernel selection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_gflops(runs: int) -> float:
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    return 2 * 2048**3 / median_seconds(lambda: a @ b, runs) / 1e9


def main() -> None:

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    peak = peak_gflops(options.runs)
    images = torch.rand(options.batch, 3, SIZE, SIZE)
    report: dict[str, object] = {"batch": options.batch, "size": SIZE, "peak_gflops": round(peak, 1)}
    for label, args in ENCODERS.items():
        name = "mobilefacenet" if label == "mobilefacenet" else "arcface_iresnet"
        encoder = zoo.build("backbone", name, **args)

        def forward() -> None:
            with torch.no_grad():
                encoder(images)

        def forward_backward() -> None:
            batch = images.clone().requires_grad_()
            encoder(batch).sum().backward()

        counter = FlopCounterMode(display=False)
        with counter:
            forward_backward()
        flops = counter.get_total_flops() / options.batch
        seconds = median_seconds(forward_backward, options.runs)
        report[label] = {
            "forward_images_per_s": round(options.batch / median_seconds(forward, options.runs), 1),
            "forward_backward_images_per_s": round(options.batch / seconds, 1),
            "gflops_per_image_forward_backward": round(flops / 1e9, 3),
            "fraction_of_peak": round(flops * options.batch / seconds / 1e9 / peak, 3),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
