"""The occlusion segmenter trained by a (tiny) zoo recipe: train, Ctrl-C, resume bit-identical, evaluate, export."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo.context import Interrupted
from zoo.errors import ZooError
from zoo.modelfolder import read_config

RECIPE = """\
name: tiny_mask
seed: 3
data:
  dataset: occluded_faces
  faces: {faces}
  occluders: {occluders}
  resolution: 32
  max_per_identity: 4
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
  checkpoint_every: {every}
"""


def recipe_file(directory: Path, assets: Path, every: int = 3, text: str = RECIPE) -> Path:
    path = directory / "recipe.yaml"
    path.write_text(text.format(faces=assets / "faces" / "glint", occluders=assets / "occluders", every=every))
    return path


def load(path: Path) -> zoo.Recipe:
    return zoo.load_recipe(path, [f"output.dir={path.parent / 'run'}"])


@pytest.fixture(scope="module")
def uninterrupted(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("mask_recipe")
    zoo.run(load(recipe_file(directory, assets)))
    return directory / "run"


def test_recipe_trains_evaluates_and_exports_a_segmenter_folder(uninterrupted: Path) -> None:
    model = uninterrupted / "model"
    config = read_config(model)
    assert config["parts"]["generator"]["name"] == "occlusion_unet" and config["info"]["role"] == "segmenter"
    assert "identity" not in config["info"]
    metrics = config["info"]["metrics"]
    assert 0 <= metrics["iou_segmenter_all"] <= 1 and 0 < metrics["iou_hull_all"] <= 1
    events = [json.loads(line) for line in (uninterrupted / "metrics.jsonl").read_text().splitlines()]
    losses = [e["loss"] for e in events if "loss" in e]
    assert len(losses) == 8 and min(losses[-3:]) < losses[0]
    assert any(e.get("event") == "mask_iou" for e in events)
    assert (model / "sample_grid.png").is_file()
    segmenter = zoo.from_pretrained(model).parts["generator"]
    masks = segmenter.mask(torch.rand(2, 3, 50, 50))
    assert masks.shape == (2, 1, 50, 50) and 0 <= float(masks.min()) and float(masks.max()) <= 1


def _interrupt_after(metrics: Path, lines: int) -> threading.Thread:
    """Ctrl-C this process once the run has logged ``lines`` training steps (a real SIGINT, handled by the runner)."""
    def wait_and_signal() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (metrics.exists() and metrics.read_text().count("\n") >= lines):
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=wait_and_signal, daemon=True)
    thread.start()
    return thread


def test_ctrl_c_then_resume_ends_bit_identical(assets: Path, uninterrupted: Path, tmp_path: Path) -> None:
    recipe = load(recipe_file(tmp_path, assets, every=1000))
    thread = _interrupt_after(tmp_path / "run" / "metrics.jsonl", 2)
    with pytest.raises(Interrupted, match=r"checkpoint written, continue with resume=True"):
        zoo.run(recipe)
    thread.join()
    checkpoint = zoo.checkpoint.Checkpointer(tmp_path / "run").latest()
    assert checkpoint is not None and not checkpoint.stage_done and 2 <= checkpoint.step < 8
    zoo.run(recipe, resume=True)
    expected = load_file(str(uninterrupted / "model" / "model.safetensors"))
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
    assert old in RECIPE
    path = recipe_file(tmp_path, assets, text=RECIPE.replace(old, new, 1))
    with pytest.raises(ZooError, match=expected) as error:
        load(path)
    assert "recipe.yaml:" in str(error.value) and "stages[0]" in str(error.value)
    assert not (tmp_path / "run").exists()


def test_covered_weight_scales_the_cross_entropy_of_covered_face_pixels_only() -> None:
    from zoo_masks.train import mask_loss

    torch.manual_seed(0)
    logits = torch.randn(2, 1, 8, 8)
    region = torch.zeros(2, 1, 8, 8)
    region[:, :, 2:6, 2:6] = 1.0
    target = region.clone()
    target[0, :, 2:4, 2:6] = 0.0  # a hand over the top half of the first face's region
    covered = (region - target).bool()
    plain = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    weighted = mask_loss(logits, target, dice=0.0, region=region, covered_weight=3.0)["bce"]
    expected = (plain.sum() + 2.0 * plain[covered].sum()) / plain.numel()
    torch.testing.assert_close(weighted, expected)
    torch.testing.assert_close(mask_loss(logits, target, dice=0.0, region=region)["bce"], plain.mean())
    torch.testing.assert_close(mask_loss(logits, region, dice=0.0, region=region, covered_weight=3.0)["bce"],
                               torch.nn.functional.binary_cross_entropy_with_logits(logits, region))  # nothing covered
