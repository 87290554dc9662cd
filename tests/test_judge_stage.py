"""The ``judge`` stage: a recipe's model judged on its held-out people beside the baselines, into the model card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zoo.errors import RecipeError
from zoo.recipe import load_recipe

RECIPE = """\
name: judged
seed: 0
data: {{dataset: aligned, root: {glint}, max_per_identity: 6}}
model:
  generator: {{backbone: masked_swap, resolution: 32, channels: 8, max_channels: 16, downsamples: 2, blocks: 1,
              id_dim: 16, prior: classical_compositor}}
losses: [{{loss: pixel}}]
stages:
  - {{stage: build_groups, resolution: 32, quantity: 8, held_out: 0.2}}
  - {{stage: train, steps: 2, batch_size: 4, augment: paired_augment}}
  - {{stage: judge, pairs: 8, distractors: 3}}
  - stage: export
output: {{dir: {run}}}
"""


def test_the_judged_table_reaches_the_run_and_the_model_card(assets: Path, tmp_path: Path) -> None:
    from zoo import run

    (tmp_path / "recipe.yaml").write_text(RECIPE.format(glint=assets / "faces" / "glint", run=tmp_path / "run"))
    run(load_recipe(tmp_path / "recipe.yaml"))
    report = json.loads((tmp_path / "run" / "judged.json").read_text())
    assert report["judge"] == "dlib_resnet" and report["pairs"] == 8
    assert report["people"] == 4 and report["distractor_people"] == 3  # 20 glint people, 0.2 held out; 3 others
    comparison = report["comparison"]
    assert set(comparison["identity_top1"]) == {"model", "template", "source", "compositor"}
    assert comparison["identity_top1"]["template"]["mean"] == 0.0 and comparison["pose_error_deg"]["template"]["mean"] == 0.0
    assert comparison["identity_top1"]["source"]["mean"] > 0.5  # the judge recognises the source photos themselves
    config = json.loads((tmp_path / "run" / "model" / "config.json").read_text())
    metrics = config["info"]["metrics"]
    assert metrics["identity_top1"] == round(comparison["identity_top1"]["model"]["mean"], 4)
    assert metrics["identity_top1_compositor"] == round(comparison["identity_top1"]["compositor"]["mean"], 4)
    assert metrics["landmark68_distance_low"] <= metrics["landmark68_distance"] <= metrics["landmark68_distance_high"]
    card = (tmp_path / "run" / "model" / "README.md").read_text()
    assert "model-index:" in card and "type: identity_top1\n" in card and "| identity_top1_compositor |" in card
    assert "type: identity_top1_compositor" not in card  # a baseline's score is not the model's result
    from PIL import Image

    (grid,) = (tmp_path / "run" / "grids").glob("stage03-judge-*.png")
    assert Image.open(grid).size == (4 * 128, 16 + 8 * 128)  # source | template | compositor | model, 8 pairs
    assert "![sample grid]" in card and (tmp_path / "run" / "model" / "sample_grid.png").is_file()


def test_a_judge_the_model_trains_with_is_refused_at_plan_time(assets: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    weights = assets / "weights" / "mobilefacenet_casia.safetensors"
    text = RECIPE.format(glint=assets / "faces" / "glint", run=tmp_path / "run").replace(
        "prior: classical_compositor}", f"prior: classical_compositor, identity: {{name: mobilefacenet, weights: {weights}}}}}"
    ).replace("{stage: judge, pairs: 8, distractors: 3}", "{stage: judge, pairs: 8, judge: mobilefacenet}")
    (tmp_path / "recipe.yaml").write_text(text)
    with pytest.raises(RecipeError, match=r"recipe.yaml:\d+ stages\[2\]\.judge: the judge 'mobilefacenet' is also "
                                          r"the model's conditioning encoder: NOT independent"):
        load_recipe(tmp_path / "recipe.yaml")


def test_judging_needs_held_out_people(assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = RECIPE.format(glint=assets / "faces" / "glint", run=tmp_path / "run").replace("held_out: 0.2", "held_out: 0")
    (tmp_path / "recipe.yaml").write_text(text)
    with pytest.raises(RecipeError, match=r"stages\[2\]: judge needs held-out people: give the build stage held_out > 0"):
        load_recipe(tmp_path / "recipe.yaml")
