"""The recipes that ship with the zoo, so ``zoo run quickstart`` works from a plain pip install.

In a wheel they are package data (``zoo/shipped_recipes/``, see ``force-include`` in
pyproject.toml); in a source checkout they are the top-level ``recipes/`` folder itself, so the
files a developer edits are the ones ``zoo run quickstart`` runs.
"""

from __future__ import annotations

from pathlib import Path

from zoo.errors import ZooError

__all__ = ["recipe_argument", "shipped_recipes", "shipped_recipes_dir"]

_SUFFIXES = (".yaml", ".yml")


def shipped_recipes_dir() -> Path:
    """The folder holding the shipped recipes: inside the package when installed from a wheel."""
    packaged = Path(__file__).resolve().parent / "shipped_recipes"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "recipes"


def shipped_recipes() -> dict[str, Path]:
    """Shipped recipe names (file names without ``.yaml``) and their files, sorted by name."""
    folder = shipped_recipes_dir()
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.iterdir()) if path.suffix in _SUFFIXES}


def _is_bare_name(argument: str) -> bool:
    return "/" not in argument and "\\" not in argument and not argument.endswith(_SUFFIXES)


def recipe_argument(argument: str) -> Path:
    """What ``zoo run ARGUMENT`` means: an existing file, else a bare name of a shipped recipe.

    A path (anything with a separator or a ``.yaml`` suffix) is always a file, so a typo in a path
    is reported as a missing file rather than silently replaced by a shipped recipe.
    """
    path = Path(argument).expanduser()
    if path.exists() or not _is_bare_name(argument):
        return path
    shipped = shipped_recipes()
    if argument in shipped:
        return shipped[argument]
    names = ", ".join(shipped) or "none found"
    raise ZooError(f"recipe not found: {argument} is neither a file nor a shipped recipe (shipped: {names})")
