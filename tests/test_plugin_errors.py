"""Plugin-author mistakes are reported as well as user errors (a real installed plugin package).

``tests/plugins/misbehaving_plugin`` is installed for these tests only, into a temporary target
directory put on ``sys.path`` / ``PYTHONPATH``: real dist-info, real entry points.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from zoo.errors import PluginConflict
from zoo.registry import Registry

from installed_plugins import uv_binary

PLUGIN = Path(__file__).parent / "plugins" / "misbehaving_plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run([uv_binary(), "pip", "install", "--quiet", "--offline", "--no-deps", "--python", sys.executable,
                    "--target", str(target), str(PLUGIN)], check=True)
    return target


@pytest.fixture
def registry(installed: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.syspath_prepend(str(installed))
    return Registry.from_entry_points()


def _zoo(installed: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True, text=True, env=env)


def test_a_misspelt_hook_is_a_broken_plugin_naming_the_valid_hooks(registry: Registry) -> None:
    info = next(i for i in registry.plugins if i.name == "misspelt")
    assert not info.ok
    assert info.error == (
        "unknown hook 'register_loss' (did you mean 'register_losses'?); valid hooks: register_backbones, "
        "register_commands, register_datasets, register_detectors, register_losses, register_roles, register_stages"
    )
    assert info.components == {}


def test_a_name_two_packages_register_is_listed_with_both_and_building_says_which_to_uninstall(registry: Registry) -> None:
    with pytest.raises(PluginConflict) as raised:
        registry.get("loss", "pixel")
    assert str(raised.value) == (
        "loss 'pixel' is registered by two plugins: faceswap-zoo (losses) and zoo-misbehaving-plugin (conflicting); "
        "uninstall one"
    )
    conflicting = next(i for i in registry.plugins if i.name == "conflicting")
    builtin = next(i for i in registry.plugins if i.name == "losses")
    assert conflicting.problems == ["loss 'pixel' is also registered by faceswap-zoo (losses); uninstall one"]
    assert builtin.problems == ["loss 'pixel' is also registered by zoo-misbehaving-plugin (conflicting); uninstall one"]


def test_zoo_list_shows_the_conflict_instead_of_hiding_the_name(installed: Path) -> None:
    listed = _zoo(installed, "list", "loss", "pix*")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if " pixel " in line)
    assert row.split()[:4] == ["loss", "pixel", "-", "faceswap-zoo,"]
    assert "zoo-misbehaving-plugin" in row and "CONFLICT" in row


def test_zoo_plugins_shows_every_mistake_and_a_core_command_cannot_be_replaced(installed: Path) -> None:
    shown = _zoo(installed, "plugins")
    assert shown.returncode == 0, shown.stderr
    lines = {line.split()[0]: line for line in shown.stdout.splitlines()[1:]}
    assert "BROKEN: unknown hook 'register_loss' (did you mean 'register_losses'?)" in lines["misspelt"]
    assert "loss 'pixel' is also registered by faceswap-zoo (losses); uninstall one" in lines["conflicting"]
    assert lines["command_thief"].endswith("ok; command 'run' refused: it is a core command")
    run_help = _zoo(installed, "run", "--help")
    assert "Train through a YAML recipe's stages" in run_help.stdout
    hello = _zoo(installed, "hello")
    assert hello.stdout.strip() == "hello from a plugin"
