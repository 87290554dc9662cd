"""The occlusion segmenter trained by a (tiny) zoo recipe: train, Ctrl-C, resume bit-identical, evaluate, export."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo.modelfolder import read_config

RECIPE = """\
name: tiny_mask
seed: 3
data:
  dataset: occluded_faces
  faces: {faces}
  occluders: {occluders}
  resolution: 32
  held_out_identities: 17
model:
  generator:
    backbone: occlusion_unet
    resolution: 32
    channels: 4
    depth: 2
stages:
  - {{stage: train_segmenter, steps: 8, batch_size: 4, log_every: 1}}
  - {{stage: evaluate_masks, samples: 24}}
  - {{stage: export}}
output:
  dir: run
  checkpoint_every: {every}
"""


def write_recipe(directory: Path, assets: Path, every: int = 3) -> None:
    (directory / "recipe.yaml").write_text(RECIPE.format(faces=assets / "faces" / "glint",
                                                         occluders=assets / "occluders", every=every))


def zoo_run(cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "zoo", "run", "recipe.yaml", *args], cwd=cwd,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


@pytest.fixture(scope="module")
def uninterrupted(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("mask_recipe")
    write_recipe(directory, assets)
    code, stderr = finish(zoo_run(directory))
    assert code == 0, stderr
    return directory


def test_recipe_trains_evaluates_and_exports_a_segmenter_folder(uninterrupted: Path) -> None:
    model = uninterrupted / "run" / "model"
    config = read_config(model)
    assert config["parts"]["generator"]["name"] == "occlusion_unet" and config["info"]["role"] == "segmenter"
    assert "identity" not in config["info"]
    metrics = config["info"]["metrics"]
    assert 0 <= metrics["iou_segmenter_all"] <= 1 and 0 < metrics["iou_hull_all"] <= 1
    events = [json.loads(line) for line in (uninterrupted / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [e["loss"] for e in events if "loss" in e]
    assert len(losses) == 8 and losses[-1] < losses[0]
    assert any(e.get("event") == "mask_iou" for e in events)
    assert (model / "sample_grid.png").is_file()
    segmenter = zoo.from_pretrained(model).parts["generator"]
    masks = segmenter.mask(torch.rand(2, 3, 50, 50))
    assert masks.shape == (2, 1, 50, 50) and 0 <= float(masks.min()) and float(masks.max()) <= 1


def test_ctrl_c_then_resume_ends_bit_identical(assets: Path, uninterrupted: Path, tmp_path: Path) -> None:
    write_recipe(tmp_path, assets, every=1000)
    process = zoo_run(tmp_path)
    metrics = tmp_path / "run" / "metrics.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (metrics.exists() and metrics.read_text().count("\n") >= 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    code, stderr = finish(process)
    assert code == 130 and "checkpoint written, continue with --resume" in stderr, stderr
    assert "Traceback" not in stderr
    code, stderr = finish(zoo_run(tmp_path, "--resume"))
    assert code == 0, stderr
    expected = load_file(str(uninterrupted / "run" / "model" / "model.safetensors"))
    resumed = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))
    assert expected.keys() == resumed.keys()
    for name in expected:
        assert torch.equal(expected[name], resumed[name]), name


@pytest.mark.parametrize("old, new, expected", [
    ("    resolution: 32\n    channels", "    resolution: 16\n    channels",
     "the segmenter takes 16px faces but data.resolution is 32px"),
    ("    backbone: occlusion_unet\n    resolution: 32\n    channels: 4\n    depth: 2",
     "    backbone: patchgan", "model.generator is backbone 'patchgan', not a segmenter"),
])
def test_mismatched_recipes_fail_before_training(old: str, new: str, expected: str, assets: Path, tmp_path: Path) -> None:
    write_recipe(tmp_path, assets)
    text = (tmp_path / "recipe.yaml").read_text()
    assert old in text
    (tmp_path / "recipe.yaml").write_text(text.replace(old, new, 1))
    result = subprocess.run([sys.executable, "-m", "zoo", "run", "recipe.yaml", "--dry-run"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
