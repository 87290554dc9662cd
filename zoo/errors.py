"""User-facing errors: one clear line that says what is wrong and where.

The CLI prints ``str(error)`` for a :class:`ZooError` and exits non-zero without a traceback
(unless ``--debug``). Anything else escaping is a bug in the zoo and gets a traceback.
"""

from __future__ import annotations

__all__ = [
    "ZooError",
    "PartialSuccess",
    "ComponentNotFound",
    "PluginConflict",
    "ArgumentError",
    "RecipeError",
    "WeightsError",
]


class ZooError(Exception):
    """Bad input from the user or the environment, reported as one line (exit code 2, like a bad flag).

    Exit codes: 0 done; 2 bad input (a flag, a recipe, a file); 3 partial success (some inputs of a
    batch were skipped, each one said); 130 interrupted (a checkpoint or partial output was kept).
    """

    exit_code = 2


class PartialSuccess(ZooError):
    """Some items of a batch were done and written, others skipped with their reasons."""

    exit_code = 3


class ComponentNotFound(ZooError, LookupError):
    """A recipe, config or command named a component no installed plugin registers."""


class PluginConflict(ZooError):
    """Two plugins registered the same kind and name."""


class ArgumentError(ZooError, ValueError):
    """A component's arguments do not match its schema."""


class WeightsError(ZooError):
    """Weights that cannot be loaded strictly: wrong format, missing/unexpected keys, shapes."""


class RecipeError(ZooError):
    """A recipe failed validation; carries every problem found, each with its location."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
