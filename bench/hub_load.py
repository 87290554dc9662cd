"""``zoo.from_pretrained`` from the Hugging Face cache versus ``torch.load`` of the same weights.

A generator is pushed to the loopback Hub of the test suite and pulled once into a temporary HF
cache; then, offline, each round times (interleaved, median of RUNS):

- ``from_pretrained``: resolve the cached snapshot, build the generator from config.json, load
  ``model.safetensors`` strictly;
- ``build_and_torch_load``: the same build, then ``torch.load(weights_only=True)`` of a ``.pt``
  holding the same state dict, then ``load_state_dict(strict=True)``;
- the weight reads alone: ``safetensors.torch.load_file`` versus ``torch.load``.

Prints JSON; ratios are safetensors-path time over torch.load-path time (<= 1: not slower).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 7
REPO_ROOT = Path(__file__).resolve().parent.parent
SIZES = {
    "default_128px": {"growth": [128]},
    "wide_256px": {"channels": 64, "max_channels": 512, "growth": [128, 256]},
}


def seconds(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="zoo-bench-hub-"))
    os.environ.update(
        HF_HUB_CACHE=str(workdir / "hf_cache"),
        HF_HOME=str(workdir / "hf_home"),
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_TOKEN="hf_bench_fake_token",
        NO_ALBUMENTATIONS_UPDATE="1",
    )
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from hub_server import HubServer

    server = HubServer().start()
    os.environ["HF_ENDPOINT"] = server.url  # before huggingface_hub is imported: it reads this once

    import zoo  # first: zoo.threads sets OpenMP waiting before torch starts its pool
    import torch
    from huggingface_hub import constants
    from safetensors.torch import load_file

    from zoo.hub import download, push_to_hub
    from zoo.modelfolder import PartSpec, save_model_folder

    report: dict[str, object] = {"runs": RUNS, "torch_threads": torch.get_num_threads(), "models": {}}
    snapshots = {}
    for label, args in SIZES.items():
        torch.manual_seed(0)
        generator = zoo.build("backbone", "adain_swap", **args)
        folder = save_model_folder(workdir / label, {"generator": generator}, {"generator": PartSpec("adain_swap", generator.build_args())}, {})
        push_to_hub(folder, f"bench/{label}")
        snapshots[label] = (download(f"bench/{label}"), generator.build_args())
        torch.save(generator.state_dict(), workdir / f"{label}.pt")
    server.stop()
    constants.HF_HUB_OFFLINE = True  # from here on, only the cache may serve

    for label, (snapshot, build_args) in snapshots.items():
        pt_file = workdir / f"{label}.pt"
        safetensors_file = snapshot / "model.safetensors"

        def from_pretrained(label: str = label) -> None:
            zoo.from_pretrained(f"bench/{label}")

        def build_and_torch_load(pt_file: Path = pt_file, build_args: dict = build_args) -> None:
            model = zoo.build("backbone", "adain_swap", **build_args)
            model.load_state_dict(torch.load(pt_file, weights_only=True), strict=True)
            model.eval()

        from_pretrained()
        build_and_torch_load()  # warm imports and the page cache for both paths
        candidates = {
            "from_pretrained": from_pretrained,
            "build_and_torch_load": build_and_torch_load,
            "load_file": lambda f=safetensors_file: load_file(str(f)),
            "torch_load": lambda f=pt_file: torch.load(f, weights_only=True),
        }
        timings: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(RUNS):  # interleaved so drifting machine load hits every candidate alike
            for name, function in candidates.items():
                timings[name].append(seconds(function))
        medians = {name: statistics.median(values) for name, values in timings.items()}
        report["models"][label] = {
            "weights_mb": round(safetensors_file.stat().st_size / 2**20, 2),
            "parameters": sum(t.numel() for t in load_file(str(safetensors_file)).values()),
            "median_seconds": {name: round(value, 5) for name, value in medians.items()},
            "ratio_from_pretrained_vs_build_and_torch_load": round(medians["from_pretrained"] / medians["build_and_torch_load"], 3),
            "ratio_load_file_vs_torch_load": round(medians["load_file"] / medians["torch_load"], 3),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
