"""Shared fixtures. Third-party assets are read from ZOO_ASSETS, never copied into the repo."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import zoo  # noqa: F401  - first, so zoo.threads sets OpenMP up before any test module imports torch
from installed_plugins import install_test_plugins

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent


def assets_dir() -> Path | None:
    """The shared assets folder: $ZOO_ASSETS, else ../shared/assets beside the checkout."""
    configured = os.environ.get("ZOO_ASSETS")
    candidate = Path(configured) if configured else REPO_ROOT.parent / "shared" / "assets"
    return candidate if (candidate / "MANIFEST.tsv").is_file() else None


@pytest.fixture(scope="session")
def assets() -> Path:
    """Path to the shared assets; skips the test with the reason when they are absent."""
    found = assets_dir()
    if found is None:
        pytest.skip("shared assets not found: set ZOO_ASSETS or place them at ../shared/assets")
    return found


_PLUGINS_DIR = pytest.StashKey[Path]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Install the test plugins before collection, so module-level ``zoo.list_components()`` sees them."""
    session.config.stash[_PLUGINS_DIR] = target = Path(tempfile.mkdtemp(prefix="zoo-test-plugins-"))
    install_test_plugins(target)


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.stash.get(_PLUGINS_DIR, None)
    if target is not None:
        shutil.rmtree(target, ignore_errors=True)


@pytest.fixture(scope="session")
def test_plugins(pytestconfig: pytest.Config) -> Path:
    """Where the example plugin and its broken twin are installed for this session only (never in .venv)."""
    return pytestconfig.stash[_PLUGINS_DIR]
