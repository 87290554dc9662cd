"""Install the test plugins for the test session only, for real: dist-info, entry points and all.

They used to be dev dependencies, so every user's environment listed ``example_tv`` and a broken
plugin. Now ``uv pip install --target`` puts them in a temporary folder that is added to
``sys.path`` (this process) and ``PYTHONPATH`` (the ``zoo`` subprocesses tests start).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["TEST_PLUGINS", "install_test_plugins", "uv_binary"]

TESTS = Path(__file__).resolve().parent
TEST_PLUGINS = (TESTS / "example_plugin", TESTS / "broken_plugin")


def uv_binary() -> str:
    """The uv that runs this session (``uv run`` sets ``$UV``), else the one on ``PATH``."""
    found = os.environ.get("UV") or shutil.which("uv")
    if found is None:
        try:
            from uv import find_uv_bin  # the PyPI ``uv`` package, e.g. bootstrapped by ``pip install uv``
        except ImportError:
            raise RuntimeError("the tests need uv to install their plugins: pip install uv") from None
        found = find_uv_bin()
    return found


def install_test_plugins(target: Path) -> None:
    """Install the test plugins into ``target`` (offline, no dependencies) and make them importable here and
    in subprocesses."""
    subprocess.run(
        [uv_binary(), "pip", "install", "--quiet", "--offline", "--no-deps", "--python", sys.executable,
         "--target", str(target), *map(str, TEST_PLUGINS)],
        check=True, capture_output=True, text=True,
    )
    sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))
