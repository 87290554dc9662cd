"""The `zoo` command as a newcomer meets it: help, listing, info, one-line errors, dry runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def zoo(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_core_and_plugin_commands() -> None:
    result = zoo("--help")
    assert result.returncode == 0
    for command in ("run", "list", "plugins", "info"):
        assert f"  {command} " in result.stdout


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["plugins"], ["prepare", "--help"], ["swap", "--help"]])
def test_listing_and_help_import_no_numerics(argv: list[str]) -> None:
    """``import torch`` costs seconds and numpy alone ~0.2 s here: a command's options must not pull them in
    (a bound imported from the module that does the work once made ``zoo --help`` 1.7x slower)."""
    code = ("import sys; from zoo.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'numpy', 'cv2', 'PIL', 'av') if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.splitlines()[-1] == "[]", result.stderr


def test_version() -> None:
    result = zoo("--version")
    assert result.returncode == 0 and result.stdout.strip() == "zoo, version 0.1.0"


def test_list_shows_all_five_kinds_with_packages() -> None:
    result = zoo("list")
    assert result.returncode == 0
    kinds = {line.split()[0] for line in result.stdout.splitlines()[1:]}
    assert kinds == {"backbone", "detector", "loss", "stage", "dataset"}
    assert "example_tv" in result.stdout and "zoo-example-plugin" in result.stdout


def test_list_kind_and_pattern() -> None:
    result = zoo("list", "stage", "build_*")
    names = [line.split()[1] for line in result.stdout.splitlines()[1:]]
    assert names == ["build_groups", "build_triplets"]


def test_list_unknown_kind_is_one_line_error() -> None:
    result = zoo("list", "gizmos", "x*")
    assert result.returncode == 2
    assert result.stderr == "error: unknown component kind 'gizmos' (kinds: backbone, detector, loss, stage, dataset)\n"


def test_list_takes_the_plural_kind_and_an_empty_match_is_an_error() -> None:
    plural = zoo("list", "stages", "build_*")
    assert [line.split()[1] for line in plural.stdout.splitlines()[1:]] == ["build_groups", "build_triplets"]
    nothing = zoo("list", "nothing_like_this*")
    assert nothing.returncode == 2
    assert nothing.stderr == ("error: no component matches 'nothing_like_this*' "
                              "(kinds: backbone, detector, loss, stage, dataset; `zoo list` shows everything)\n")


def test_plugins_reports_broken_twin_while_list_keeps_working() -> None:
    result = zoo("plugins", "--json")
    assert result.returncode == 0
    import json

    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["broken"]["ok"] is False
    assert plugins["broken"]["distribution"] == "zoo-broken-plugin"
    assert "zoo_dependency_that_does_not_exist" in plugins["broken"]["error"]
    assert plugins["example"]["ok"] is True and plugins["example"]["version"] == "0.3.1"
    assert zoo("list", "loss").returncode == 0


def test_info_prints_the_argument_schema() -> None:
    result = zoo("info", "train")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith("stage 'train' — ")
    assert "  trainable: str (default 'all')" in result.stdout
    assert "  batch_size: int (default 16; gt=0)" in result.stdout


def test_info_unknown_name_suggests() -> None:
    result = zoo("info", "pixl")
    assert result.returncode == 2
    assert result.stderr == "error: no component named 'pixl': did you mean 'pixel' (loss)?\n"


def test_missing_recipe_is_one_line_without_traceback() -> None:
    result = zoo("run", "nope.yaml")
    assert result.returncode == 2
    assert result.stderr == "error: recipe not found: nope.yaml\n"


def test_debug_shows_the_traceback() -> None:
    result = zoo("--debug", "run", "nope.yaml")
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "ZooError: recipe not found: nope.yaml" in result.stderr


def test_bad_recipe_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("name: x\ndata:\n  dataset: synthfaces\nstages:\n  - stage: trian\nextra: 1\n")
    result = zoo("run", "r.yaml", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: r.yaml:6 extra: unknown section (valid: name, description, seed, device, data, model, losses, stages, output)"
    assert lines[1].startswith("r.yaml:5 stages[0].stage: unknown stage 'trian': did you mean 'train'?")
    assert not (tmp_path / "runs").exists()


def test_dry_run_prints_resolved_recipe_and_plan(tmp_path: Path) -> None:
    result = zoo("run", "recipes/quickstart.yaml", "--dry-run", "--set", "stages.1.lr=5e-4", "-o", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert "lr: 0.0005" in result.stdout
    assert "plan for 'quickstart'" in result.stdout
    plan = result.stdout.split("plan for 'quickstart'")[1].splitlines()
    assert any("grow 32px -> 64px" in line for line in plan)
    assert any(" new" in line and "train" in line for line in plan)
    assert not (REPO / "runs" / "quickstart-dry").exists()


@pytest.mark.parametrize("override", ["stages.9.lr=1", "nosuch.key=1", "seed"])
def test_bad_override_is_one_line(override: str) -> None:
    result = zoo("run", "recipes/quickstart.yaml", "--dry-run", "--set", override)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_json_on_stdout_for_list_and_info() -> None:
    import json

    listed = json.loads(zoo("list", "--role", "generator", "--json").stdout)
    assert {"adain_swap", "masked_swap"} <= {row["name"] for row in listed}
    assert all(row["role"] == "generator" and row["kind"] == "backbone" for row in listed)
    info = zoo("info", "grow", "--json")
    assert info.returncode == 0, info.stderr
    described = json.loads(info.stdout)
    assert (described["kind"], described["role"]) == ("stage", "stage")
    assert [argument["name"] for argument in described["arguments"]] == ["size", "fade_in"]


def test_quiet_silences_status_lines_and_quiet_with_verbose_is_a_usage_error() -> None:
    loud, quiet = zoo("info", "train"), zoo("-q", "info", "train")
    assert loud.stderr.startswith("loading stage 'train'") and quiet.stderr == ""
    assert quiet.stdout == loud.stdout
    both = zoo("-q", "-v", "list")
    assert both.returncode == 64 and "use either -q/--quiet or -v/--verbose" in both.stderr


def test_run_o_is_the_run_directory_and_set_changes_a_value(tmp_path: Path) -> None:
    done = zoo("run", "quickstart", "--dry-run", "--json", "-o", str(tmp_path / "here"), "--set", "stages.1.steps=7")
    assert done.returncode == 0, done.stderr
    import json

    plan = json.loads(done.stdout)
    assert plan["run_dir"] == str(tmp_path / "here") and plan["plan"][1]["action"].startswith("train 7 steps")
    old = zoo("run", "quickstart", "--dry-run", "-o", "stages.1.steps=7", "-o", str(tmp_path / "old"))
    assert old.returncode == 0 and old.stderr.startswith("warning: 'zoo run -o stages.1.steps=7' is deprecated")
