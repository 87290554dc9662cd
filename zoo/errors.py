"""User-facing errors: one clear line that says what is wrong and where.

The CLI prints ``str(error)`` for a :class:`ZooError` and exits non-zero without a traceback
(unless ``--debug``). Anything else escaping is a bug in the zoo and gets a traceback.
"""

from __future__ import annotations

__all__ = [
    "EXIT_BUG",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "EXIT_USER_ERROR",
    "ZooError",
    "PartialSuccess",
    "ComponentNotFound",
    "PluginConflict",
    "ArgumentError",
    "RecipeError",
    "WeightsError",
]


EXIT_USER_ERROR = 2
"""Bad input: a recipe, a file, a value the command cannot use ("no face found", a missing device)."""
EXIT_PARTIAL = 3
"""Some items of a batch were done and written, others skipped, each one said."""
EXIT_USAGE = 64
"""The command line itself is wrong: unknown option, missing argument, bad choice (EX_USAGE, sysexits.h)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT): a checkpoint or the partial output was kept."""
EXIT_BUG = 1
"""An uncaught exception: a bug in the zoo or a plugin, printed with its traceback."""

EXIT_CODES = (
    (0, "done"),
    (EXIT_BUG, "internal error (a bug: traceback printed)"),
    (EXIT_USER_ERROR, "bad input: recipe, file, value (one error: line)"),
    (EXIT_PARTIAL, "partial success: some inputs skipped, each named"),
    (EXIT_USAGE, "usage error: unknown option, missing argument, bad choice"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C): checkpoint or partial output kept"),
)
"""The exit status table, kept here so the CLI epilog and the README say the same as the code.

A script can tell a mistyped flag (64: fix the command) from input the zoo refused (2: fix the
data) without parsing messages; 2 for bad input matches what most tools do, 64 is sysexits.h's.
"""


class ZooError(Exception):
    """Bad input from the user or the environment, reported as one line (exit status 2).

    Usage errors (a bad flag) exit 64 instead: :mod:`zoo.cli` decides, from :data:`EXIT_CODES`.
    """

    exit_code = EXIT_USER_ERROR


class PartialSuccess(ZooError):
    """Some items of a batch were done and written, others skipped with their reasons."""

    exit_code = EXIT_PARTIAL


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
