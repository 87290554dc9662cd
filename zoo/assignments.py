"""``KEY=VALUE`` on a command line, the one parser for ``-o``/``--set`` overrides and ``-a`` arguments.

Values are YAML as a recipe reads it (YAML 1.2 numbers: ``1e-4`` is a float, not the string
``'1e-4'`` PyYAML's 1.1 rules would give; an empty value is null, as ``key:`` is in a file), so the
same value means the same thing in a recipe, an override and a component argument.
"""

from __future__ import annotations

from typing import Any

import yaml

from zoo.errors import ZooError

__all__ = ["parse_assignment", "parse_assignments"]


def parse_assignment(text: str, option: str, shape: str = "key=value", example: str = "body=mobilenet0.25") -> tuple[str, Any]:
    """``"lr=1e-4"`` → ``("lr", 0.0001)``; ``option``/``shape``/``example`` word the error for its command."""
    from zoo.recipe.source import load_value

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ZooError(f"{option} {text!r} must look like {shape} (e.g. {example})")
    try:
        return key.strip(), load_value(raw, f"{option} {text!r}") if raw.strip() else None
    except yaml.YAMLError as error:
        raise ZooError(f"{option} {text!r}: value is not valid YAML: {error}") from None


def parse_assignments(pairs: tuple[str, ...] | list[str], option: str) -> dict[str, Any]:
    """A component's ``-a``/``-j`` arguments: ``("body=mobilenet0.25", "lr=1e-4")`` → ``{"body": "mobilenet0.25", "lr": 0.0001}``."""
    return dict(parse_assignment(text, option, example=f"{option} body=mobilenet0.25") for text in pairs)
