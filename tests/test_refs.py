"""Typed component references: validated with the recipe, nested paths in the message, old form read."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import zoo
from zoo.cli import main
from zoo.errors import ArgumentError
from zoo.refs import ComponentRef

REPO = Path(__file__).resolve().parent.parent
RECIPE = """name: refs
data: {dataset: synthfaces, identities: 8, images_per_identity: 4}
model:
  generator: {backbone: adain_swap, resolution: 32, channels: 8, max_channels: 16, blocks: 1, id_dim: 16}
losses: [{loss: pixel}]
stages:
  - stage: build_groups
    resolution: 32
    quantity: 16
    swapper: %s
  - {stage: train, steps: 2, batch_size: 4}
"""


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def dry_run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """``zoo run ... --dry-run`` through the real CLI entry point, in this process (no torch start-up)."""

    def run(*args: str, cwd: Path = REPO) -> Done:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            try:
                main(["run", *args, "--dry-run"])
                code = 0
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    return run


@pytest.mark.parametrize(("override", "message"), [
    ("stages.0.swapper=nonexistent",
     "error: --set stages.0.swapper=nonexistent stages[0].swapper: unknown backbone 'nonexistent'"),
    ("model.generator.identity=bicubic",
     "error: --set model.generator.identity=bicubic model.generator.identity: backbone 'bicubic' is an upscaler, "
     "not an identity_encoder (identity_encoders: arcface_iresnet, mobilefacenet, 'learned')"),
    ("model.generator.identity=patchgan",
     "error: --set model.generator.identity=patchgan model.generator.identity: backbone 'patchgan' is a discriminator, "
     "not an identity_encoder"),
    ("stages.0.swapper={name: classical_compositor, nonsense: 1}",
     "error: --set stages.0.swapper={name: classical_compositor, nonsense: 1} stages[0].swapper.nonsense: unknown argument"),
])
def test_every_reference_probe_fails_at_dry_run_with_one_located_line(dry_run, override: str, message: str) -> None:
    done = dry_run("recipes/quickstart.yaml", "--set", override)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1


def test_a_nested_argument_error_names_the_file_line_and_nested_path(dry_run, tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE % "{name: classical_compositor, feather: -3}")
    done = dry_run(str(recipe), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (f"error: {recipe}:10 stages[0].swapper.feather: Input should be greater than or equal "
                           "to 0 (got -3)\n")


def test_the_old_name_plus_args_form_is_read_with_a_deprecation_line(dry_run, tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.replace("    swapper: %s\n", "    swapper: classical_compositor\n"
                                                         "    swapper_args: {color_transfer: false}\n"))
    done = dry_run(str(recipe), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ("warning: 'swapper_args' is deprecated and read until faceswap-zoo 0.3: write "
                           "'swapper: {name: classical_compositor, ...}' instead\n")
    with pytest.warns(FutureWarning, match="'swapper_args' is deprecated"):
        stage = zoo.build("stage", "build_groups", resolution=32, quantity=4, swapper="classical_compositor",
                          swapper_args={"color_transfer": False})
    assert stage.swapper.args["color_transfer"] is False


def test_a_component_receives_a_checked_reference_it_can_build() -> None:
    stage = zoo.build("stage", "build_groups", resolution=32, quantity=4,
                      swapper={"name": "classical_compositor", "color_transfer": False})
    assert isinstance(stage.swapper, ComponentRef) and stage.swapper.name == "classical_compositor"
    assert stage.swapper.build().color_transfer is False
    assert zoo.build("stage", "build_groups", resolution=32, quantity=4, swapper="exact").swapper.kind is None
    with pytest.raises(ArgumentError) as raised:
        zoo.build("stage", "build_groups", resolution=32, quantity=4, swapper={"name": "exact", "x": 1})
    assert str(raised.value) == "stage 'build_groups': swapper: 'exact' takes no arguments"


def test_zoo_info_shows_what_a_reference_accepts() -> None:
    from zoo.info import describe

    assert "  swapper: swapper reference | 'exact' | 'self' (default 'classical_compositor')" in describe("build_groups")
