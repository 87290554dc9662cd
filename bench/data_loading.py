"""Data-loading cost per training batch, against a training step of the default generator (same run).

For synthfaces and for an aligned folder (the Glint sample when the shared assets are present),
at 64 and 128 px with batch 8, it times, median over repeats:

- ``batch``: ``SampleSet.batch`` on built samples (every epoch after the first: samples are cached
  uint8 tensors), plain and with ``PairedAugment``;
- ``faces``: reading 8 faces from the dataset (synthfaces: rendering them; aligned: decoded crops in
  memory, resized);
- ``build_per_sample``: building Method F groups (both groups) with the exact swapper (synthfaces)
  or the classical compositor (aligned), per sample;
- ``train_step``: forward + backward + Adam step of ``adain_swap`` at that resolution (batch 8 per
  group, two groups) — the baseline; ``*_fraction`` = loading time / train step (target ≤ 0.05);
- ``render_faces_per_s``: synthfaces rendering throughput (batch 256), default threads and one thread.

Usage: ``python bench/data_loading.py [--assets PATH] [--repeats N]``. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import zoo  # noqa: E402 - first: zoo.threads sets OpenMP waiting before torch starts its pool
import torch  # noqa: E402

from zoo_datasets.augment import PairedAugment  # noqa: E402
from zoo_datasets.base import FaceDataset  # noqa: E402
from zoo_datasets.samples import build_groups  # noqa: E402

BATCH = 8
RESOLUTIONS = (64, 128)


def _median_seconds(work: Callable[[], object], repeats: int) -> float:
    work()  # warm-up: first-call allocations and lazy imports are not what a second epoch pays
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _train_step_seconds(resolution: int, repeats: int) -> float:
    generator = zoo.build("backbone", "adain_swap", resolution=resolution)
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-4)
    source, template, label = (torch.rand(2 * BATCH, 3, resolution, resolution) for _ in range(3))

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = (generator(source, template) - label).abs().mean()
        loss.backward()
        optimizer.step()

    return _median_seconds(step, max(3, repeats // 4))


def _dataset_row(dataset: FaceDataset, swapper: object, resolution: int, step: float, repeats: int) -> dict[str, float]:
    quantity = 64
    started = time.perf_counter()
    groups = build_groups(dataset, resolution=resolution, quantity=quantity, swapper=swapper, seed=0)
    build = (time.perf_counter() - started) / (quantity * len(groups))
    augment = PairedAugment()
    rows = list(range(BATCH))
    plain = _median_seconds(lambda: [g.batch(rows) for g in groups], repeats)
    augmented = _median_seconds(lambda: [g.batch(rows, augment=augment, seed=1) for g in groups], repeats)
    faces = _median_seconds(lambda: dataset.images(list(range(BATCH)), resolution), repeats)
    return {
        "batch_ms": round(plain * 1e3, 3),
        "batch_augmented_ms": round(augmented * 1e3, 3),
        "faces_ms": round(faces * 1e3, 3),
        "build_per_sample_ms": round(build * 1e3, 3),
        "train_step_ms": round(step * 1e3, 2),
        "batch_fraction": round(plain / step, 4),
        "batch_augmented_fraction": round(augmented / step, 4),
    }


def _render_rate(resolution: int, threads: int) -> float:
    """Cold rendering (no cache) of 256 faces; torch's thread count restored afterwards."""
    from zoo_synthfaces.params import attribute_params, identity_params
    from zoo_synthfaces.render import render_faces

    identities, attributes = identity_params(123, range(256)), attribute_params(123, range(256))
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        render_faces(identities, attributes, 16)  # warm-up
        started = time.perf_counter()
        render_faces(identities, attributes, resolution)
        return 256 / (time.perf_counter() - started)
    finally:
        torch.set_num_threads(previous)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_assets = os.environ.get("ZOO_ASSETS") or str(Path(__file__).resolve().parents[2] / "shared" / "assets")
    parser.add_argument("--assets", default=default_assets, help="shared assets folder (for the Glint crops)")
    parser.add_argument("--repeats", type=int, default=20)
    options = parser.parse_args()

    datasets: dict[str, tuple[FaceDataset, object]] = {
        "synthfaces": (zoo.build("dataset", "synthfaces", identities=32, images_per_identity=8), "exact"),
    }
    glint = Path(options.assets) / "faces" / "glint"
    if glint.is_dir():
        aligned = zoo.build("dataset", "aligned", root=str(glint), max_identities=10, max_per_identity=20)
        datasets["aligned_glint"] = (aligned, zoo.build("backbone", "classical_compositor"))

    report: dict[str, object] = {
        "bench": "data_loading",
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads()},
        "batch_size": BATCH,
        "render_faces_per_s": {str(r): round(_render_rate(r, torch.get_num_threads()), 1) for r in RESOLUTIONS},
        # a busy machine makes torch's intra-op threads wait on each other; one thread shows the work itself
        "render_faces_per_s_1_thread": {str(r): round(_render_rate(r, 1), 1) for r in RESOLUTIONS},
    }
    for resolution in RESOLUTIONS:
        step = _train_step_seconds(resolution, options.repeats)
        for name, (dataset, swapper) in datasets.items():
            report.setdefault(name, {})[str(resolution)] = _dataset_row(dataset, swapper, resolution, step, options.repeats)  # type: ignore[union-attr]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
