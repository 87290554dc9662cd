"""What a user installs: the wheel in a fresh venv, shipped recipes, and an environment without test plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import assets_dir
from installed_plugins import TESTS, uv_binary

REPO = TESTS.parent


def _plain_env() -> dict[str, str]:
    """The user's environment: no test plugins on PYTHONPATH, no venv leaking in from the test runner."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "ZOO_PLUGINS")}


def _run(command: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=_plain_env(), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def test_the_users_environment_holds_no_test_plugin(tmp_path: Path) -> None:
    plugins = json.loads(_run([sys.executable, "-m", "zoo", "plugins", "--json"], tmp_path).stdout)
    assert {"curriculum", "retinaface", "swap"} <= {plugin["name"] for plugin in plugins}
    assert [(p["name"], p["distribution"]) for p in plugins if p["distribution"] != "faceswap-zoo" or not p["ok"]] == []
    listing = _run([sys.executable, "-m", "zoo", "list"], tmp_path).stdout
    assert "example_tv" not in listing and "zoo-example-plugin" not in listing


def test_the_test_session_sees_the_installed_test_plugins(test_plugins: Path) -> None:
    assert (test_plugins / "zoo_example_plugin-0.3.1.dist-info" / "entry_points.txt").is_file()
    result = subprocess.run([sys.executable, "-m", "zoo", "plugins", "--json"], capture_output=True, text=True)
    names = {plugin["name"] for plugin in json.loads(result.stdout)}
    assert {"example", "broken"} <= names


def test_a_bare_name_runs_a_shipped_recipe_and_a_path_is_a_file(tmp_path: Path) -> None:
    dry = _run([sys.executable, "-m", "zoo", "run", "quickstart", "--dry-run"], tmp_path)
    assert dry.stdout.startswith("name: quickstart\n")
    missing = _run([sys.executable, "-m", "zoo", "run", "quickstart.yaml"], tmp_path, check=False)
    assert (missing.returncode, missing.stderr) == (2, "error: recipe not found: quickstart.yaml\n")
    unknown = _run([sys.executable, "-m", "zoo", "run", "quickstrat"], tmp_path, check=False)
    assert unknown.returncode == 2
    shipped = ", ".join(sorted(path.stem for path in (REPO / "recipes").glob("*.yaml")))
    assert "quickstart" in shipped
    assert unknown.stderr == (f"error: recipe not found: quickstrat is neither a file nor a shipped recipe "
                              f"(shipped: {shipped})\n")


@pytest.mark.slow
def test_the_built_wheel_installs_into_a_fresh_venv_offline(tmp_path: Path) -> None:
    """Build the wheel, install it (and a plugin that depends on it) into a new venv from uv's cache.

    The locked versions are installed first (a pylock export of the lock without dev groups),
    so the wheel's own requirements must resolve against them with nothing but the cache: had
    retinaface-pytorch stayed a dependency, its torch==1.9 pin would fail right here.
    """
    started = time.perf_counter()
    uv = uv_binary()
    _run([uv, "build", "--wheel", "--offline", "--quiet", "-o", str(tmp_path / "dist"), str(REPO)], REPO)
    (wheel,) = (tmp_path / "dist").glob("faceswap_zoo-*.whl")
    lock = tmp_path / "pylock.toml"
    _run([uv, "export", "--frozen", "--no-default-groups", "--no-emit-project", "--format", "pylock.toml",
          "--quiet", "-o", str(lock)], REPO)
    venv = tmp_path / "venv"
    _run([uv, "venv", "--offline", "--quiet", "--python", sys.executable, str(venv)], tmp_path)
    python = str(venv / "bin" / "python")
    install = [uv, "pip", "install", "--offline", "--quiet", "--python", python]
    _run([*install, "-r", str(lock)], tmp_path)
    _run([*install, str(wheel)], tmp_path)
    _run([*install, str(TESTS / "example_plugin")], tmp_path)  # depends on faceswap-zoo: resolved from the venv
    zoo = str(venv / "bin" / "zoo")
    work = tmp_path / "work"
    work.mkdir()

    listing = _run([zoo, "list"], work).stdout
    assert "adain_swap" in listing and "example_tv" in listing and "zoo-example-plugin" in listing
    dry = _run([zoo, "run", "quickstart", "--dry-run"], work)
    assert dry.stdout.startswith("name: quickstart\n") and "export model folder" in dry.stdout
    shipped = _run([python, "-c", "from zoo.shipped import shipped_recipes_dir as d; print(d())"], work).stdout
    assert Path(shipped.strip()) == venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / \
        "site-packages" / "zoo" / "shipped_recipes"

    missing = _run([zoo, "info", "retinaface"], work, check=False)
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1] == (
        "error: detector 'retinaface' needs the retinaface-pytorch package, which is not installed: run "
        "`pip install --no-deps retinaface-pytorch==0.0.8` (--no-deps: its torch==1.9 pins cannot be met and are "
        "not needed; in a uv environment `uv pip install --no-deps retinaface-pytorch==0.0.8`), "
        "or use the default detector 'dlib'")
    _run([*install, "--no-deps", "-r", str(_locked_retinaface_group(uv, tmp_path))], tmp_path)  # what it says to do
    built = _run([python, "-c", "import zoo; d = zoo.build('detector', 'retinaface', pretrained=False); "
                  "import numpy as np; print(len(d.detect([np.zeros((64, 64, 3), np.uint8)])))"], work)
    assert built.stdout.strip() == "1"
    _swap_from_the_wheel(python, zoo, work)
    print(f"wheel build + fresh venv + checks: {time.perf_counter() - started:.1f} s")


def _locked_retinaface_group(uv: str, folder: Path) -> Path:
    """The message's `--no-deps retinaface-pytorch==0.0.8`, taken from the lock rather than by name.

    Offline, a bare name needs PyPI's index page in uv's cache, and a fresh CI cache filled by
    `uv sync --locked` holds only the locked files; the pylock export of the retinaface group
    names the same 0.0.8 file by URL and hash, and its other entries are already installed.
    """
    lock = folder / "pylock.retinaface.toml"
    _run([uv, "export", "--frozen", "--only-group", "retinaface", "--no-emit-project", "--format", "pylock.toml",
          "--quiet", "-o", str(lock)], REPO)
    return lock


def _swap_from_the_wheel(python: str, zoo: str, work: Path) -> None:
    """``zoo swap`` of two real photos with the installed package and its default detector (dlib, from PyPI
    alone); a tiny untrained model, since the pipeline is the point."""
    assets = assets_dir()
    if assets is None:
        return  # the install checks above stand on their own; the photos are shared assets
    make_model = ("import torch, zoo; from zoo.modelfolder import PartSpec, save_model_folder; torch.manual_seed(0); "
                  "g = zoo.build('backbone', 'adain_swap', resolution=16, channels=8, max_channels=16, downsamples=1, "
                  "blocks=1, id_dim=16); save_model_folder('model', {'generator': g}, "
                  "{'generator': PartSpec('adain_swap', g.build_args())}, info={'name': 'wheel-test'})")
    _run([python, "-c", make_model], work)
    wild = assets / "faces" / "wild"
    swapped = _run([zoo, "swap", "-m", "model", "-s", str(wild / "Tom_Cruise_avp_2014_4.jpg"),
                    "-t", str(wild / "astronaut.png"), "-o", "out.png", "--all-faces"], work)
    assert swapped.stdout.strip() == "out.png" and (work / "out.png").stat().st_size > 0
