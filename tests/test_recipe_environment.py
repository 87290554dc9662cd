"""``${NAME}`` and ``${NAME:-fallback}`` in recipe strings: expanded before validation, unset is an error at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.errors import RecipeError
from zoo.recipe import load_recipe

RECIPE = """\
name: env
data:
  dataset: aligned
  root: ${FACES_HOME}/people
model:
  generator: {backbone: adain_swap, resolution: 16, channels: 8}
losses:
  - loss: pixel
stages:
  - {stage: build_groups, resolution: 16, quantity: 8}
  - {stage: train, steps: 1}
output:
  dir: ${RUNS_HOME:-runs}/env
"""


def _people(root: Path) -> None:
    from PIL import Image

    for person in ("ann", "bob", "cid"):
        (root / person).mkdir(parents=True)
        for photo in range(2):
            Image.new("RGB", (16, 16), (40 * photo, 90, 200)).save(root / person / f"{photo}.png")


def test_variables_expand_and_fallbacks_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _people(tmp_path / "home" / "people")
    (tmp_path / "recipe.yaml").write_text(RECIPE)
    monkeypatch.setenv("FACES_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RUNS_HOME", raising=False)
    recipe = load_recipe(tmp_path / "recipe.yaml")
    assert recipe.data.args["root"] == str(tmp_path / "home" / "people")
    assert str(recipe.output.dir) == "runs/env"
    monkeypatch.setenv("RUNS_HOME", "elsewhere")
    assert str(load_recipe(tmp_path / "recipe.yaml").output.dir) == "elsewhere/env"


def test_an_unset_variable_names_its_line_and_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recipe.yaml").write_text(RECIPE)
    monkeypatch.delenv("FACES_HOME", raising=False)
    with pytest.raises(RecipeError) as error:
        load_recipe(tmp_path / "recipe.yaml")
    assert str(error.value) == (f"{tmp_path / 'recipe.yaml'}:4 data.root: environment variable FACES_HOME is not set "
                                "(export FACES_HOME=… or write ${FACES_HOME:-fallback})")


def test_an_override_may_name_a_variable_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _people(tmp_path / "other" / "people")
    (tmp_path / "recipe.yaml").write_text(RECIPE)
    monkeypatch.setenv("OTHER", str(tmp_path / "other"))
    recipe = load_recipe(tmp_path / "recipe.yaml", ["data.root=${OTHER}/people"])
    assert recipe.data.args["root"] == str(tmp_path / "other" / "people")
