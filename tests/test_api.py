"""The Python API the CLI is thin over: ``zoo.plan`` is the dry run, ``zoo.run`` the run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import zoo
from zoo.errors import ZooError


def test_zoo_plan_is_the_dry_run(tmp_path: Path) -> None:
    planned = zoo.plan("quickstart", [f"output.dir={tmp_path / 'run'}"])
    cli = subprocess.run([sys.executable, "-m", "zoo", "run", "quickstart", "--dry-run", "--json",
                          "-o", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    shown = json.loads(cli.stdout)
    assert planned.to_json()["plan"] == shown["plan"] and len(shown["plan"]) == 8
    assert planned.to_json()["run_dir"] == shown["run_dir"] == str(tmp_path / "run")
    table = planned.render()
    assert table.startswith("name: quickstart\n") and "\nplan for 'quickstart' (8 stages, run dir " in table
    assert callable(zoo.plan)  # the function: no submodule of that name shadows it once imported


def test_zoo_plan_refuses_what_a_run_would_in_api_words(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(ZooError, match="is a file, not a folder") as refused:
        zoo.plan("quickstart", [f"output.dir={tmp_path / 'taken'}"])
    assert " -o " not in str(refused.value) and "--" not in str(refused.value)


def test_a_loaded_recipe_takes_no_overrides_and_runs_in_one_process_only(tmp_path: Path) -> None:
    recipe = zoo.load_recipe("quickstart", [f"output.dir={tmp_path / 'run'}"])
    with pytest.raises(TypeError, match="overrides apply to a recipe file"):
        zoo.plan(recipe, ["seed=3"])
    with pytest.raises(TypeError, match="pass its path"):
        zoo.run(recipe, nproc=2)


def test_the_sdk_exports_every_name_it_lists_and_imports_no_torch() -> None:
    script = ("import sys, zoo.sdk; light = 'torch' not in sys.modules and 'pydantic' not in sys.modules; "
              "missing = [n for n in zoo.sdk.__all__ if getattr(zoo.sdk, n, None) is None]; print(light, missing)")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert shown.stdout.split("\n")[0] == "True []", shown.stderr
