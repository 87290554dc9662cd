"""faceswap zoo: plugins, YAML curricula and Hub model folders for face-swap models.

The public API is imported lazily so that ``import zoo`` (and so ``zoo --help``/``zoo list``)
never pays for torch.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from zoo.hookspecs import hookimpl
from zoo.threads import configure_threads

if TYPE_CHECKING:
    from pathlib import Path

    from zoo.recipe.model import Recipe
    from zoo.runner import RunResult
    from zoo.discovery import PluginInfo
    from zoo.registry import ComponentSpec
    from zoo.modelfolder import ModelFolder

__all__ = [
    "__version__",
    "hookimpl",
    "build",
    "get_spec",
    "list_components",
    "plugins",
    "load_recipe",
    "run",
    "from_pretrained",
    "push_to_hub",
]

__version__ = "0.1.0"

# albumentations checks PyPI for updates on import unless told not to; a training tool must not phone home.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

# Before anything imports torch: a short OpenMP spin, then sleep, and a thread count that shares the CPU (zoo.threads).
configure_threads()


def build(kind: str, name: str, /, **args: Any) -> Any:
    """Validate ``args`` against the component's schema and build it."""
    from zoo.registry import default_registry

    return default_registry().build(kind, name, **args)


def get_spec(kind: str, name: str) -> ComponentSpec:
    from zoo.registry import default_registry

    return default_registry().get(kind, name)


def list_components(kind: str | None = None, pattern: str = "*", role: str | None = None) -> list[ComponentSpec]:
    """Registered components, optionally of one kind and role, with names matching an fnmatch pattern."""
    from zoo.registry import default_registry

    return default_registry().list(kind, pattern, role)


def plugins() -> list[PluginInfo]:
    """Every discovered plugin, loaded or broken (with its error)."""
    from zoo.registry import default_registry

    return default_registry().plugins


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read and fully validate a recipe; raises :class:`zoo.errors.RecipeError` listing every problem."""
    from zoo.recipe import load_recipe as _load

    return _load(path, overrides)


def run(recipe: Recipe | str | Path, *, resume: bool = False, force: bool = False) -> RunResult:
    """Run a recipe's stages (``zoo run``); accepts a loaded recipe or a path."""
    from zoo.recipe.model import Recipe as _Recipe
    from zoo.runner import run_recipe

    loaded = recipe if isinstance(recipe, _Recipe) else load_recipe(recipe)
    return run_recipe(loaded, resume=resume, force=force)


def from_pretrained(model_id_or_path: str | Path, revision: str | None = None, parts: tuple[str, ...] = ("generator",)) -> ModelFolder:
    """Load a model folder from a local directory or a Hub repo id (see :mod:`zoo.hub`)."""
    from zoo.hub import from_pretrained as _from_pretrained

    return _from_pretrained(model_id_or_path, revision=revision, parts=parts)


def push_to_hub(directory: str | Path, repo_id: str, private: bool = False, revision: str | None = None) -> str:
    """Upload a model folder to the Hub; returns the commit URL (see :mod:`zoo.hub`)."""
    from zoo.hub import push_to_hub as _push_to_hub

    return _push_to_hub(directory, repo_id, private=private, revision=revision)
