"""Paths that must exist are checked when arguments are validated: a dry run names the missing folder or file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import zoo
from zoo.errors import ArgumentError


def test_dry_run_names_a_missing_data_folder_with_its_recipe_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "zoo", "run", "progressive", "--dry-run"], cwd=tmp_path,
                            capture_output=True, text=True)
    recipe = Path(__file__).resolve().parent.parent / "recipes" / "progressive.yaml"
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"error: {recipe}:14 data.root: no such folder (relative paths start at {tmp_path}) "
                             "(got 'data/faces')\n")


def test_an_existing_but_empty_data_folder_is_named_too(tmp_path: Path) -> None:
    (tmp_path / "faces").mkdir()
    result = subprocess.run([sys.executable, "-m", "zoo", "run", "progressive", "--dry-run", "--set", "data.root=faces"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("error: --set data.root=faces data.root: aligned dataset: no images "
                             "(.png, .jpg, .jpeg, .bmp, .webp) in faces\n")


def test_weights_must_be_an_existing_file_or_a_remote_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ArgumentError) as missing:
        zoo.build("backbone", "mobilefacenet", weights="weights/mobilefacenet_casia.safetensors")
    assert str(missing.value) == (f"backbone 'mobilefacenet': weights: no such file (relative paths start at {tmp_path}) "
                                  "(got 'weights/mobilefacenet_casia.safetensors')")
    with pytest.raises(ArgumentError, match=r"weights: is a folder, not a file"):
        zoo.build("detector", "retinaface", body="mobilenet0.25", weights=str(tmp_path))
    with pytest.raises(ArgumentError, match=r"checkpoint: no such file"):
        zoo.build("detector", "retinaface", checkpoint="https://example.org/a.zip")  # a local copy, never a URL
    assert isinstance(zoo.build("backbone", "mobilefacenet", weights=None), torch.nn.Module)  # random init allowed


def test_dry_run_names_missing_encoder_weights_nested_in_components(tmp_path: Path) -> None:
    (tmp_path / "data" / "faces").mkdir(parents=True)
    result = subprocess.run([sys.executable, "-m", "zoo", "run", "fake_template", "--dry-run"], cwd=tmp_path,
                            capture_output=True, text=True)
    recipe = Path(__file__).resolve().parent.parent / "recipes" / "fake_template.yaml"
    missing = f"no such file (relative paths start at {tmp_path}) (got 'weights/mobilefacenet_casia.safetensors')"
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: {recipe}:26 model.generator.identity.weights: {missing}",
                                          f"{recipe}:26 losses[2].encoder.weights: {missing}"]
