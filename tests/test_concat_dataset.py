"""``concat``: several datasets as one; each member's people stay distinct, faces come back in the asked order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo.errors import RecipeError
from zoo.recipe import load_recipe
from zoo_datasets.base import split_identities


def _folder(root: Path, people: dict[str, int], shade: int) -> None:
    for index, (person, count) in enumerate(people.items()):
        (root / person).mkdir(parents=True)
        for photo in range(count):
            value = np.full((16, 16, 3), shade + 10 * index + photo, dtype=np.uint8)
            Image.fromarray(value).save(root / person / f"{photo}.png")


@pytest.fixture
def two_folders(tmp_path: Path) -> tuple[Path, Path]:
    _folder(tmp_path / "a", {"ann": 2, "bob": 3}, shade=0)
    _folder(tmp_path / "b", {"ann": 2, "cid": 2, "dee": 1}, shade=100)  # another 'ann': another person
    return tmp_path / "a", tmp_path / "b"


def test_members_people_are_kept_apart_and_faces_read_in_order(two_folders: tuple[Path, Path]) -> None:
    first, second = two_folders
    data = zoo.build("dataset", "concat", datasets=[{"name": "aligned", "root": str(first)},
                                                      {"name": "aligned", "root": str(second)}])
    assert len(data) == 10
    labels = data.identities()
    assert len(set(labels)) == 5 and set(labels[:5]).isdisjoint(labels[5:])
    assert [data.identity(i) for i in range(10)] == labels
    order = [7, 0, 9, 3]
    faces = data.images(order, 16)
    single = [zoo.build("dataset", "aligned", root=str(root)) for root in two_folders]
    expected = torch.cat([single[1].images([2], 16), single[0].images([0], 16), single[1].images([4], 16),
                          single[0].images([3], 16)])
    assert torch.equal(faces, expected)
    assert data.native_resolution == 16
    train, held = split_identities(data, 2, seed=0)
    assert {data.identity(i) for i in train.indices}.isdisjoint(data.identity(i) for i in held.indices)


def test_out_of_range_faces_are_refused(two_folders: tuple[Path, Path]) -> None:
    data = zoo.build("dataset", "concat", datasets=[{"name": "aligned", "root": str(two_folders[0])}])
    with pytest.raises(IndexError, match="face 5 out of range"):
        data.images([5], 16)


def test_a_recipe_checks_each_member_at_plan_time(two_folders: tuple[Path, Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = f"""name: concat
data:
  dataset: concat
  datasets:
    - {{name: aligned, root: {two_folders[0]}}}
    - {{name: aligned, rot: {two_folders[1]}}}
model:
  generator: {{backbone: adain_swap, resolution: 16, channels: 8}}
losses: [{{loss: pixel}}]
stages:
  - {{stage: build_groups, resolution: 16, quantity: 8}}
  - {{stage: train, steps: 1}}
"""
    (tmp_path / "recipe.yaml").write_text(text)
    with pytest.raises(RecipeError, match=r"recipe.yaml:\d+ data.datasets.1.*rot"):
        load_recipe(tmp_path / "recipe.yaml")
    (tmp_path / "recipe.yaml").write_text(text.replace("rot:", "root:"))
    recipe = load_recipe(tmp_path / "recipe.yaml")
    assert recipe.data.name == "concat" and len(recipe.plans) == 2
