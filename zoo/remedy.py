"""What a message tells the reader to do next, in the words of the interface they used.

The run API's errors name its arguments (``resume=True``, the recipe's ``output.dir``, an override
``overriding KEY=VALUE``); the CLI prints the same errors with its flags (``--resume``, ``-o DIR``,
``--set KEY=VALUE``). Both wordings live here, so a
message is written once, with these constants, and :func:`in_cli_words` is the CLI's only
translation.
"""

from __future__ import annotations

__all__ = ["RESUME", "FORCE", "OTHER_RUN_DIR", "NEW_RUN_DIR", "OVERRIDING", "TRUST_EXTERNAL_WEIGHTS", "in_cli_words"]

RESUME = "resume=True"
FORCE = "force=True"
OTHER_RUN_DIR = "another run directory (output.dir)"
NEW_RUN_DIR = "a new or empty run directory (output.dir)"
#: A model config naming weights outside its folder: only Python callers may choose to trust it.
TRUST_EXTERNAL_WEIGHTS = "load with allow_external_weights=True to trust this config"
#: Where a recipe problem comes from an override rather than a line of the file: ``overriding seed=abc``.
OVERRIDING = "overriding "

_CLI = {
    RESUME: "--resume",
    FORCE: "--force",
    OTHER_RUN_DIR: "another directory with -o DIR",
    NEW_RUN_DIR: "a new or empty directory with -o DIR",
    OVERRIDING: "--set ",
    TRUST_EXTERNAL_WEIGHTS: "the CLI never loads those: copy the file into the model folder and name it there",
}


def in_cli_words(message: str) -> str:
    """``message`` with each API remedy replaced by the CLI flag that does the same."""
    for api, cli in _CLI.items():
        message = message.replace(api, cli)
    return message
