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

    from zoo.dryrun import RunPlan
    from zoo.recipe.model import Recipe
    from zoo.runner import RunResult
    from zoo_inference.evaluate import EvalResult
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
    "plan",
    "run",
    "from_pretrained",
    "pull",
    "push_to_hub",
    "evaluate",
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
    """Read and fully validate a recipe (a file, or a shipped recipe's name such as ``quickstart``).

    ``overrides`` are ``KEY.PATH=VALUE`` settings (values read as YAML). Raises
    :class:`zoo.errors.RecipeError` listing every problem with its file, line and YAML path.
    """
    from zoo.recipe import load_recipe as _load
    from zoo.shipped import recipe_argument

    return _load(recipe_argument(str(path)), overrides)


def _loaded(recipe: Recipe | str | Path, overrides: list[str] | None) -> Recipe:
    from zoo.recipe.model import Recipe as _Recipe

    if isinstance(recipe, _Recipe):
        if overrides:
            raise TypeError("overrides apply to a recipe file; load_recipe(path, overrides) a Recipe instead")
        return recipe
    return load_recipe(recipe, overrides)


def plan(recipe: Recipe | str | Path, overrides: list[str] | None = None, *, resume: bool = False,
         force: bool = False) -> RunPlan:
    """The dry run (``zoo run --dry-run``): the recipe validated, the run directory checked, the plan."""
    from zoo.dryrun import plan_run

    return plan_run(_loaded(recipe, overrides), resume=resume, force=force)


def run(recipe: Recipe | str | Path, overrides: list[str] | None = None, *, resume: bool = False,
        force: bool = False, nproc: int = 1) -> RunResult:
    """Run a recipe's stages (``zoo run``): a loaded recipe, a file or a shipped recipe's name.

    ``nproc`` > 1 runs that many processes under torchrun (DDP). Each process reads the recipe file
    with ``overrides`` again, so pass the file (or name), not a loaded :class:`Recipe`.
    """
    loaded = _loaded(recipe, overrides)  # validated here, before any process starts
    if nproc > 1:
        from zoo.launch import launch_torchrun
        from zoo.recipe.model import Recipe as _Recipe

        if isinstance(recipe, _Recipe):
            raise TypeError("a multi-process run starts each process from the recipe file: pass its path")
        return launch_torchrun(str(loaded.path), list(overrides or []), loaded.run_dir, nproc=nproc,
                               resume=resume, force=force)
    from zoo.runner import run_recipe

    return run_recipe(loaded, resume=resume, force=force)


def from_pretrained(model_id_or_path: str | Path, revision: str | None = None, parts: tuple[str, ...] = ("generator",)) -> ModelFolder:
    """Load a model folder from a local directory or a Hub repo id (see :mod:`zoo.hub`)."""
    from zoo.hub import from_pretrained as _from_pretrained

    return _from_pretrained(model_id_or_path, revision=revision, parts=parts)


def pull(repo_id: str, revision: str | None = None) -> Path:
    """Download a model folder into the Hugging Face cache (``zoo pull``), checked; returns its path."""
    from zoo.hub import pull as _pull

    return _pull(repo_id, revision)


def evaluate(model: str | Path, data: str | Path, **options: Any) -> EvalResult:
    """Measure a model folder (``zoo eval``); options as :func:`zoo_inference.evaluation.evaluate_model`."""
    from zoo_inference.evaluation import evaluate_model

    return evaluate_model(model, data, **options)


def push_to_hub(directory: str | Path, repo_id: str, private: bool = False, revision: str | None = None) -> str:
    """Upload a model folder to the Hub; returns the commit URL (see :mod:`zoo.hub`)."""
    from zoo.hub import push_to_hub as _push_to_hub

    return _push_to_hub(directory, repo_id, private=private, revision=revision)
