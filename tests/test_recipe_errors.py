"""The malformed-recipe corpus: each bad recipe gets exactly this message, with file, line and path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from zoo.errors import RecipeError, ZooError
from zoo.recipe import load_recipe

BASE = """\
name: tiny
data:
  dataset: synthfaces
  identities: 8
model:
  generator:
    backbone: adain_swap
    resolution: 16
    channels: 8
losses:
  - loss: pixel
stages:
  - stage: build_groups
    resolution: 16
    quantity: 8
  - stage: train
    steps: 2
"""

STAGES = BASE.split("stages:\n")[0] + "stages:\n"

CORPUS: list[tuple[str, str, list[str], str]] = [
    ("yaml-syntax", "name: tiny\nstages: [\n  - stage: train\n", [],
     "recipe.yaml:3:3: YAML syntax error: expected the node content, but found '-'"),
    ("empty-file", "", [], "recipe.yaml: the recipe is empty"),
    ("comments-only", "# nothing here\n", [], "recipe.yaml: the recipe is empty"),
    ("top-level-list", "- stage: train\n", [],
     "recipe.yaml:1: the recipe must be a mapping of sections (name, data, model, stages, ...), got a list"),
    ("unknown-section", BASE + "trainer:\n  fast: true\n", [],
     "recipe.yaml:18 trainer: unknown section (valid: name, description, seed, device, data, model, losses, stages, output)"),
    ("unknown-stage-argument", BASE.replace("steps: 2", "step: 2"), [],
     "recipe.yaml:17 stages[1].step: unknown argument (valid: steps, epochs, batch_size, lr, betas, optimizer, "
     "weight_decay, trainable, groups, quantity, grad_clip, ema, discriminator_lr, fade_steps, log_every, validate_every, "
     "validate_pairs, bf16)"),
    ("unknown-stage-name", BASE.replace("stage: train", "stage: trian"), [],
     "recipe.yaml:16 stages[1].stage: unknown stage 'trian': did you mean 'train'? (12 stages available: `zoo list stage`); "
     "plugins that failed to load: broken (`zoo plugins`)"),
    ("import-path-is-not-a-name", BASE.replace("dataset: synthfaces", "dataset: os:system"), [],
     "recipe.yaml:3 data.dataset: unknown dataset 'os:system' (4 datasets available: `zoo list dataset`); "
     "plugins that failed to load: broken (`zoo plugins`)"),
    ("wrong-argument-type", BASE.replace("steps: 2", "steps: many"), [],
     "recipe.yaml:17 stages[1].steps: Input should be a valid integer, unable to parse string as an integer (got 'many')"),
    ("missing-required-argument", BASE.replace("    quantity: 8\n", ""), [],
     "recipe.yaml:13 stages[0].quantity: missing required argument"),
    ("empty-stage-list", STAGES + "  []\n", [],
     "recipe.yaml:12 stages: is empty: a recipe needs at least one stage (see `zoo list stage`)"),
    ("stage-without-name", BASE.replace("  - stage: train\n    steps: 2", "  - steps: 2"), [],
     "recipe.yaml:16 stages[1]: missing 'stage: NAME' naming a registered stage (see `zoo list stage`)"),
    ("missing-section", BASE.split("stages:")[0], [], "recipe.yaml:1 (top level): missing required section 'stages'"),
    ("duplicate-key", BASE.replace("    steps: 2", "    steps: 2\n    steps: 3"), [],
     "recipe.yaml:18 stages[1].steps: duplicate key"),
    ("negative-loss-weight", BASE.replace("  - loss: pixel", "  - loss: pixel\n    weight: -1"), [],
     "recipe.yaml:12 losses[0].weight: must be a finite number >= 0, got -1"),
    ("new-before-grow", BASE.replace("steps: 2", "steps: 2\n    trainable: new"), [],
     "recipe.yaml:18 stages[1].trainable: 'new' means the layers inserted by the last grow, and no grow stage comes before"),
    ("quantity-larger-than-built", BASE.replace("steps: 2", "steps: 2\n    quantity: 50"), [],
     "recipe.yaml:18 stages[1].quantity: 50 is more than the 8 samples per group built before"),
    ("resolution-mismatch", BASE.replace("resolution: 16\n    quantity", "resolution: 32\n    quantity"), [],
     "recipe.yaml:14 stages[0].resolution: labels at 32px do not match the generator's output resolution 16px at this "
     "point (add a grow stage before, or change the resolution)"),
    ("resolution-decreasing",
     BASE + "  - stage: grow\n  - stage: build_groups\n    resolution: 32\n    quantity: 4\n"
            "  - stage: build_groups\n    resolution: 16\n    quantity: 4\n", [],
     "recipe.yaml:23 stages[4].resolution: must not decrease: the previous samples were 32px"),
    ("grow-not-larger", BASE + "  - stage: grow\n    size: 16\n", [],
     "recipe.yaml:19 stages[2].size: must be greater than the current output resolution 16"),
    ("component-argument-out-of-range", BASE.replace("channels: 8", "channels: -4"), [],
     "recipe.yaml:9 model.generator.channels: Input should be greater than 0 (got -4)"),
    ("override-missing-index", BASE, ["stages.5.lr=1e-5"],
     "override 'stages.5.lr=1e-5': stages has 2 items, no index 5"),
    ("override-missing-key", BASE, ["model.critic.channels=3"],
     "override 'model.critic.channels=3': model.critic does not exist (keys here: generator)"),
    ("override-unknown-argument", BASE, ["stages.1.lrr=0.1"],
     "--set stages.1.lrr=0.1 stages[1].lrr: unknown argument (valid: steps, epochs, batch_size, lr, betas, optimizer, "
     "weight_decay, trainable, groups, quantity, grad_clip, ema, discriminator_lr, fade_steps, log_every, validate_every, "
     "validate_pairs, bf16)"),
    ("override-bad-type", BASE, ["seed=abc"], "--set seed=abc seed: Input should be a valid integer, unable to parse "
     "string as an integer (got 'abc')"),
]


@pytest.mark.parametrize(("text", "overrides", "expected"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_bad_recipe_gets_exact_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                       overrides: list[str], expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("recipe.yaml").write_text(text)
    with pytest.raises(ZooError) as raised:
        load_recipe("recipe.yaml", overrides)
    assert str(raised.value) == expected


def test_all_problems_are_reported_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = BASE.replace("steps: 2", "steps: 0").replace("channels: 8", "channels: wide") + "extra: 1\n"
    Path("recipe.yaml").write_text(text)
    with pytest.raises(RecipeError) as raised:
        load_recipe("recipe.yaml")
    assert raised.value.problems == [
        "recipe.yaml:18 extra: unknown section (valid: name, description, seed, device, data, model, losses, stages, output)",
        "recipe.yaml:9 model.generator.channels: Input should be a valid integer, unable to parse string as an integer (got 'wide')",
        "recipe.yaml:17 stages[1].steps: Input should be greater than 0 (got 0)",
    ]


def test_overrides_reach_nested_keys_and_list_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("recipe.yaml").write_text(BASE)
    recipe = load_recipe("recipe.yaml", ["stages.1.lr=1e-5", "seed=3", "model.generator.channels=16", "stages.1.groups=[fake_label]"])
    assert recipe.seed == 3
    assert recipe.stages[1].args["lr"] == pytest.approx(1e-5)
    assert recipe.stages[1].args["groups"] == ["fake_label"]
    assert recipe.model["generator"].args["channels"] == 16


@pytest.mark.parametrize("name", sorted(p.name for p in (Path(__file__).parent.parent / "recipes").glob("*.yaml")))
def test_shipped_recipes_validate(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the placeholders the recipes name must exist to validate (a dry run names a missing folder or file)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "faces").mkdir(parents=True)
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "mobilefacenet_casia.safetensors").touch()
    recipe = load_recipe(Path(__file__).parent.parent / "recipes" / name)
    assert len(recipe.plans) == len(recipe.stages) > 0


def test_recipe_path_errors(tmp_path: Path) -> None:
    with pytest.raises(ZooError, match=f"^recipe not found: {tmp_path}/nope.yaml$"):
        load_recipe(tmp_path / "nope.yaml")
    with pytest.raises(ZooError, match=f"^recipe path is a directory, not a YAML file: {tmp_path}$"):
        load_recipe(tmp_path)
