"""``${NAME}`` in recipe strings: where the data lives differs per machine, the recipe does not.

A shared recipe cannot know where each machine keeps its datasets and weights, so a string value
may name environment variables: ``root: ${ZOO_ASSETS}/faces/cfp``. ``${NAME:-fallback}`` uses the
fallback when the variable is unset or empty, as in the shell. Only whole ``${…}`` references are
expanded — no commands, no nesting — and a variable that is unset without a fallback is an error
at its line, never an empty path that would silently point somewhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from zoo.recipe.source import LocatedYaml, YamlPath

__all__ = ["expand_environment"]

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_environment(located: LocatedYaml, environment: Mapping[str, str] | None = None) -> list[str]:
    """Replace ``${NAME}`` / ``${NAME:-fallback}`` in every string value in place; the problems found."""
    env = os.environ if environment is None else environment
    problems: list[str] = []

    def expand(value: Any, path: YamlPath) -> Any:
        if isinstance(value, dict):
            return {key: expand(item, path + (key,)) for key, item in value.items()}
        if isinstance(value, list):
            return [expand(item, path + (index,)) for index, item in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value

        def substitute(match: re.Match[str]) -> str:
            name, fallback = match.group(1), match.group(2)
            found = env.get(name) or fallback
            if found is None:
                problems.append(located.problem(path, f"environment variable {name} is not set (export {name}=… "
                                                      f"or write ${{{name}:-fallback}})"))
                return match.group(0)
            return found

        return _REFERENCE.sub(substitute, value)

    located.data = expand(located.data, ())
    return problems
