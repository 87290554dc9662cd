"""The self-reconstruction group and snapshots through `zoo run`, and smoke runs of the method benches."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo.errors import ZooError

BENCH = Path(__file__).resolve().parents[1] / "bench"

SELF_RECIPE = """\
name: self_group
seed: 3
data: {dataset: synthfaces, identities: 6, images_per_identity: 3}
model:
  generator: {backbone: masked_swap, resolution: 16, channels: 4, max_channels: 8, downsamples: 1, blocks: 1, id_dim: 8}
losses:
  - {loss: pixel, self_weight: 2.0}
stages:
  - {stage: build_groups, resolution: 16, quantity: 6, groups: %s, held_out: 0.2}
  - {stage: train, steps: 4, batch_size: 2, snapshot_every: 2, log_every: 1}
  - {stage: export}
output: {dir: %s, checkpoint_every: 100}
"""


def _bench(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return __import__(name)


def test_self_group_plans_and_a_misspelt_group_is_named(tmp_path: Path) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text(SELF_RECIPE % ("[self]", tmp_path / "run"))
    recipe = zoo.load_recipe(path)
    assert "build self groups" in recipe.plans[0].action and recipe.plans[0].quantity == 6
    path.write_text(SELF_RECIPE % ("[selfie]", tmp_path / "run"))
    with pytest.raises(ZooError, match=r"recipe\.yaml:9 stages\[0\]\.groups\[0\]: Input should be 'fake_template', 'fake_label' or 'self' \(got 'selfie'\)$"):
        zoo.load_recipe(path)


def test_self_group_trains_and_snapshots_rebuild_the_generator(tmp_path: Path) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text(SELF_RECIPE % ("[self]", tmp_path / "run"))
    zoo.run(zoo.load_recipe(path))
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert any("pixel/self" in record for record in records)  # the group's own weighted term
    held_out = _bench("held_out")
    found = held_out.snapshots(tmp_path / "run")
    assert [p.name for _, p in found] == ["stage02-step00000002.safetensors", "stage02-step00000004.safetensors"]
    first, last = (held_out.load_snapshot(p) for _, p in found)
    final = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))  # the generator, as exported
    assert final.keys() == last.state_dict().keys()
    assert all(torch.equal(last.state_dict()[name], tensor) for name, tensor in final.items())
    assert not all(torch.equal(first.state_dict()[name], tensor) for name, tensor in final.items())


def _finite(value) -> bool:
    if isinstance(value, dict):
        return all(_finite(v) for k, v in value.items() if k != "count")
    return isinstance(value, (int, float)) and math.isfinite(value)


def test_method_f_bench_smoke(assets: Path, tmp_path: Path) -> None:
    method_f = _bench("method_f")
    settings = {"resolution": 32, "steps": 2, "every": 1, "channels": 4, "max_channels": 8, "batch": 2,
                "quantity": 4, "per_identity": 4, "distractors": 2}
    result = method_f.compare_methods(settings, pairs=4, groups=4, workdir=tmp_path)
    assert set(result["runs"]) == {"f_groups", "self", "fake_label"}
    assert result["evaluation"]["held_out_people"] == 4 and result["evaluation"]["distractor_people"] == 2
    for run in result["runs"].values():
        assert len(run["curve"]) == 2 and run["images_per_step"] == 4
        for metric in ("identity_top1", "identity_similarity", "landmark68_distance", "psnr", "ssim"):
            assert _finite(run["final"][metric]), (metric, run["final"][metric])
    assert result["baselines"]["source"]["identity_top1"]["mean"] > result["baselines"]["template"]["identity_top1"]["mean"]
    method_f.plot(result, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_method_p_bench_smoke(assets: Path, tmp_path: Path) -> None:
    method_p = _bench("method_p")
    settings = {**method_p.settings_for(0.01, 0.25), "per_identity": 4, "distractors": 2}
    result = method_p.compare_schedules(settings, pairs=4, workdir=tmp_path, warm_up=False)
    assert set(result["same_quality"]) == {"ssim", "identity_similarity"}
    assert result["evaluation"]["resolution"] == 128
    for run in result["runs"].values():
        assert run["curve"] and all(_finite(point["ssim"]) for point in run["curve"])
    target = result["same_quality"]["ssim"]
    assert target["target"] == round(result["runs"]["direct"]["final"]["ssim"], 4)
    assert target["speedup"] is None or target["speedup"] > 0
