"""Shared fixtures. Third-party assets are read from ZOO_ASSETS, never copied into the repo."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session", autouse=True)
def test_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin and its broken twin, installed for this session only (never in .venv)."""
    target = tmp_path_factory.mktemp("test-plugins")
    install_test_plugins(target)
    from zoo.registry import default_registry

    default_registry.cache_clear()  # in case anything discovered plugins before they were installed
    return target
