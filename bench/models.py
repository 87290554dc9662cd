"""Generator training throughput and FLOP efficiency on this machine, printed as JSON.

    python bench/models.py [--sizes 64,128,256] [--batch 8] [--repeats 5] [--compile]

For each core resolution it times one forward+backward of ``adain_swap`` (default widths) on a
batch, counts its FLOPs with ``torch.utils.flop_counter``, and reports images/s and achieved
GFLOP/s as a fraction of the machine's dense fp32 peak, measured in the same run (best of a large
matmul and large convolutions, interleaved with the model steps) so the ratio survives a
different or busy machine; the load average is reported because a shared machine skews medians.
Memory layouts compared: contiguous (NCHW) and channels_last; ``--compile`` adds ``torch.compile``
in a subprocess per size, capped by ``--compile-timeout`` (inductor's C++ build is slow on few cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import zoo  # noqa: E402, F401 - first: zoo.threads sets OpenMP waiting before torch starts its pool
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from zoo_swap.generator import AdainSwap  # noqa: E402

LAYOUTS = ("contiguous", "channels_last")


def timings(step: Callable[[], Any], repeats: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return seconds


def peak_kernels() -> dict[str, tuple[float, Callable[[], Any]]]:
    """The dense fp32 kernels a conv net is made of, as (FLOPs, call): the machine's peak."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    x = torch.randn(8, 128, 64, 64)
    w = torch.randn(128, 128, 3, 3)
    x_last, w_last = (t.contiguous(memory_format=torch.channels_last) for t in (x, w))
    conv_flops = 2 * 8 * 128 * 128 * 9 * 64 * 64
    return {
        "matmul_2048": (2 * 2048**3, lambda: a @ b),
        "conv3x3_128ch_64px": (conv_flops, lambda: F.conv2d(x, w, padding=1)),
        "conv3x3_128ch_64px_channels_last": (conv_flops, lambda: F.conv2d(x_last, w_last, padding=1)),
    }


def training_step(resolution: int, batch: int, layout: str, compiled: bool) -> Callable[[], None]:
    torch.manual_seed(0)
    model = AdainSwap(resolution=resolution)
    source = torch.rand(batch, 3, resolution, resolution)
    template = torch.rand(batch, 3, resolution, resolution)
    if layout == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        source = source.contiguous(memory_format=torch.channels_last)
        template = template.contiguous(memory_format=torch.channels_last)
    forward = torch.compile(model) if compiled else model

    def step() -> None:
        model.zero_grad(set_to_none=True)
        forward(source, template).square().mean().backward()

    return step


def flops_per_image(resolution: int, batch: int) -> float:
    step = training_step(resolution, batch, "contiguous", compiled=False)
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops() / batch


def summary(batch: int, seconds: list[float]) -> dict[str, float]:
    return {
        "images_per_s": round(batch / min(seconds), 2),
        "images_per_s_median": round(batch / statistics.median(seconds), 2),
        "step_s": round(min(seconds), 4),
    }


def measure_compiled(resolution: int, batch: int, repeats: int, timeout: float) -> dict[str, Any]:
    """torch.compile in a child process, so a compilation that runs too long can be stopped."""
    command = [sys.executable, __file__, "--compiled-only", "--sizes", str(resolution)]
    command += ["--batch", str(batch), "--repeats", str(repeats)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"compile + timing exceeded {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,128,256")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to compile)")
    parser.add_argument("--compile-timeout", type=float, default=600.0)
    parser.add_argument("--compiled-only", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]

    if options.compiled_only:
        step = training_step(sizes[0], options.batch, "contiguous", compiled=True)
        first = timings(step, 1, warmup=0)[0]  # compilation happens here
        result = summary(options.batch, timings(step, options.repeats))
        print(json.dumps({**result, "first_step_s": round(first, 1)}))
        return

    # Rounds interleave every measurement, so a busy spell on a shared machine hits all of them
    # alike; the best of the rounds approaches what a quiet machine does.
    load_before = os.getloadavg()[0]
    kernels = peak_kernels()
    steps = {
        (size, layout): training_step(size, options.batch, layout, compiled=False)
        for size in sizes
        for layout in LAYOUTS
    }
    for step in steps.values():
        step()  # one-off kernel setup
    kernel_s: dict[str, list[float]] = {name: [] for name in kernels}
    step_s: dict[tuple[int, str], list[float]] = {key: [] for key in steps}
    for _ in range(options.repeats):
        for name, (_, call) in kernels.items():
            kernel_s[name].append(min(timings(call, 3, warmup=1)))
        for key, step in steps.items():
            step_s[key] += timings(step, 1, warmup=0)
    peaks = {name: round(kernels[name][0] / min(seconds) / 1e9, 1) for name, seconds in kernel_s.items()}
    peak = max(peaks.values())

    results = []
    for size in sizes:
        gflop = flops_per_image(size, options.batch) / 1e9
        row: dict[str, Any] = {"resolution": size, "gflop_per_image": round(gflop, 3)}
        for layout in LAYOUTS:
            row[layout] = summary(options.batch, step_s[(size, layout)])
        if options.compile:
            row["compiled"] = measure_compiled(size, options.batch, options.repeats, options.compile_timeout)
        for variant in (*LAYOUTS, "compiled"):
            timing = row.get(variant)
            if timing and "images_per_s" in timing:
                achieved = timing["images_per_s"] * gflop
                timing["gflop_per_s"] = round(achieved, 1)
                timing["fraction_of_peak"] = round(achieved / peak, 3)
        results.append(row)

    report = {
        "benchmark": "adain_swap forward+backward, default widths",
        "batch": options.batch,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "peak_gflop_per_s": {**peaks, "used": peak},
        "generator_args": AdainSwap().build_args(),
        "parameters": sum(p.numel() for p in AdainSwap().parameters()),
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
