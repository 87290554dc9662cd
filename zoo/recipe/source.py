"""YAML parsing that remembers where every value came from.

Recipe errors must point at a line a person can open, so parsing keeps a map from each YAML path
(``("stages", 2, "resolution")``) to the line it was written on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import RecipeError, ZooError
from zoo.remedy import OVERRIDING
from zoo.schema import format_path

__all__ = [
    "MAX_DEPTH",
    "MAX_RECIPE_BYTES",
    "MAX_VALUES",
    "YamlPath",
    "LocatedYaml",
    "RecipeLoader",
    "check_yaml_bounds",
    "load_value",
    "read_recipe_text",
    "parse_located",
]

YamlPath = tuple[str | int, ...]

#: Limits far above any real recipe, low enough that a hostile file fails in milliseconds: a
#: "billion laughs" alias bomb, or thousands of nested brackets (PyYAML composes recursively).
MAX_RECIPE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 100_000


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader that reads ``1e-4`` as a float, as YAML 1.2 does.

    PyYAML follows YAML 1.1, where a float needs a dot, so ``lr: 1e-4`` would arrive as a string;
    learning rates are written that way in every training config.
    """


RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def check_yaml_bounds(text: str, where: str) -> None:
    """Refuse YAML that is too large, nested too deeply, or whose aliases expand too far.

    Works on the parser's event stream, before anything is composed or constructed: each
    collection's expanded size is counted once (an alias adds its anchor's size), so an alias
    bomb of 10^9 leaves is measured from its few hundred bytes without being expanded.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_RECIPE_BYTES:
        raise ZooError(f"{where}: {size} bytes is more than a recipe may hold ({MAX_RECIPE_BYTES} bytes)")
    anchored: dict[str, int] = {}
    open_collections: list[list[Any]] = [[None, 0]]  # [anchor, values inside so far]
    for event in yaml.parse(text, Loader=RecipeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.CollectionStartEvent):
            open_collections.append([event.anchor, 0])
            if len(open_collections) - 1 > MAX_DEPTH:
                raise ZooError(f"{where}:{line}: nested more than {MAX_DEPTH} levels deep")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, count = open_collections.pop()
            count += 1
        elif isinstance(event, yaml.ScalarEvent):
            anchor, count = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            anchor, count = None, anchored.get(event.anchor, 1)
        else:
            continue
        if anchor is not None:
            anchored[anchor] = count
        open_collections[-1][1] += count
        if open_collections[-1][1] > MAX_VALUES:
            raise ZooError(f"{where}:{line}: aliases expand the YAML to more than {MAX_VALUES} values "
                           "(an alias bomb?); write the values out instead")


def load_value(text: str, where: str = "value") -> Any:
    """Parse a YAML scalar or snippet (an override value) with the recipe's rules and bounds."""
    check_yaml_bounds(text, where)
    return yaml.load(text, Loader=RecipeLoader)  # noqa: S506 - RecipeLoader is a SafeLoader


@dataclass
class LocatedYaml:
    """Parsed YAML data plus the line of every key and item."""

    data: Any
    file: str
    lines: dict[YamlPath, int] = field(default_factory=dict)
    overridden: dict[YamlPath, str] = field(default_factory=dict)

    def where(self, path: YamlPath) -> str:
        """``recipe.yaml:14`` for the closest located ancestor of ``path`` (or the override)."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in self.overridden:
                return f"{OVERRIDING}{self.overridden[prefix]}"
            if prefix in self.lines:
                return f"{self.file}:{self.lines[prefix]}"
        return self.file

    def problem(self, path: YamlPath, message: str) -> str:
        return f"{self.where(path)} {format_path(path)}: {message}"


def read_recipe_text(path: Path) -> str:
    if not path.exists():
        raise ZooError(f"recipe not found: {path}")
    if path.is_dir():
        raise ZooError(f"recipe path is a directory, not a YAML file: {path}")
    size = path.stat().st_size
    if size > MAX_RECIPE_BYTES:
        raise ZooError(f"{path}: {size} bytes is more than a recipe may hold ({MAX_RECIPE_BYTES} bytes)")
    try:
        # read at most one byte past the limit: a pipe (`zoo run <(...)`) or a device reports no size
        with path.open("rb") as handle:
            data = handle.read(MAX_RECIPE_BYTES + 1)
        if len(data) > MAX_RECIPE_BYTES:
            raise ZooError(f"{path}: more than a recipe may hold ({MAX_RECIPE_BYTES} bytes)")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ZooError(f"cannot read recipe {path}: {error}") from None


def _walk(node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int], problems: list[str], file: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = path + (key,)
            if key in seen:
                problems.append(f"{file}:{key_node.start_mark.line + 1} {format_path(child)}: duplicate key")
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = path + (index,)
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, problems, file)


def parse_located(text: str, file: str) -> LocatedYaml:
    """Parse one YAML document safely (no Python tags, bounded), recording line numbers."""
    loader = RecipeLoader(text)
    try:
        check_yaml_bounds(text, file)
        node = loader.get_single_node()
        if node is None:
            raise ZooError(f"{file}: the recipe is empty")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        raise ZooError(f"{where}: YAML syntax error: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise ZooError(f"{file}: YAML error: {error}") from None
    finally:
        loader.dispose()
    lines: dict[YamlPath, int] = {(): node.start_mark.line + 1}
    problems: list[str] = []
    _walk(node, (), lines, problems, file)
    if problems:
        raise RecipeError(problems)
    return LocatedYaml(data=data, file=file, lines=lines)
