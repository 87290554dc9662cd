"""Load a recipe: parse, apply overrides, validate everything, plan the schedule — or report all problems.

Nothing here trains or downloads; a recipe that loads is one whose every component exists, whose
every argument matches that component's schema, and whose stages agree with each other.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from zoo.errors import RecipeError, ZooError
from zoo.facts import Fact
from zoo.recipe.model import SECTIONS, ComponentConfig, LossConfig, OutputConfig, Recipe, TopLevel
from zoo.recipe.environment import expand_environment
from zoo.recipe.overrides import apply_overrides
from zoo.recipe.source import LocatedYaml, YamlPath, parse_located, read_recipe_text
from zoo.refs import RefProblem
from zoo.registry import Registry, default_registry
from zoo.schedule import PlanError, ScheduleState
from zoo.schema import format_validation_error, reject_bools, validate_args

__all__ = ["load_recipe", "parse_recipe"]


class _Checker:
    """Collects every problem with its location instead of stopping at the first."""

    def __init__(self, located: LocatedYaml, registry: Registry):
        self.located = located
        self.registry = registry
        self.problems: list[str] = []

    def add(self, path: YamlPath, message: str) -> None:
        self.problems.append(self.located.problem(path, message))

    def pydantic(self, path: YamlPath, error: ValidationError, allowed: list[str]) -> None:
        for loc, message in format_validation_error(error, allowed=allowed):
            self.add(path + loc, message)

    def model(self, schema: type[BaseModel], path: YamlPath, data: dict[str, Any]) -> Any:
        try:
            reject_bools(schema, data)
            return schema.model_validate(data)
        except ValidationError as error:
            self.pydantic(path, error, list(schema.model_fields))
            return None

    def component(
        self, path: YamlPath, value: Any, kind: str, reserved: tuple[str, ...] = ()
    ) -> tuple[str, dict[str, Any]] | None:
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping like '{kind}: NAME' plus its arguments")
            return None
        name = value.get(kind)
        if name is None:
            self.add(path, f"missing '{kind}: NAME' naming a registered {kind} (see `zoo list {kind}`)")
            return None
        if not isinstance(name, str):
            self.add(path + (kind,), f"must be the name of a registered {kind}, got {name!r}")
            return None
        try:
            spec = self.registry.get(kind, name)
            schema = spec.schema()
        except ZooError as error:
            self.add(path + (kind,), str(error))
            return None
        args = {key: item for key, item in value.items() if key != kind and key not in reserved}
        try:
            return name, validate_args(schema, args)
        except RefProblem as problem:
            for loc, message in problem.problems:
                self.add(path + loc, message)
            return None
        except ValidationError as error:
            self.pydantic(path, error, list(schema.model_fields))
            return None


def _check_sections(check: _Checker, data: dict[str, Any]) -> None:
    for key in data:
        if key not in SECTIONS:
            check.add((key,), f"unknown section (valid: {', '.join(SECTIONS)})")
    for required in ("name", "data", "stages"):
        if required not in data:
            check.add((), f"missing required section '{required}'")


def _stages(check: _Checker, value: Any) -> list[ComponentConfig]:
    if not isinstance(value, list):
        check.add(("stages",), "must be a list of stages, each '- stage: NAME' plus its arguments")
        return []
    if not value:
        check.add(("stages",), "is empty: a recipe needs at least one stage (see `zoo list stage`)")
    stages = []
    for index, item in enumerate(value):
        found = check.component(("stages", index), item, "stage")
        if found:
            stages.append(ComponentConfig("stage", *found))
    return stages


def _losses(check: _Checker, value: Any) -> list[LossConfig]:
    if not isinstance(value, list):
        check.add(("losses",), "must be a list, each '- loss: NAME' with an optional weight and arguments")
        return []
    losses = []
    for index, item in enumerate(value):
        found = check.component(("losses", index), item, "loss", reserved=("weight",))
        weight = item.get("weight", 1.0) if isinstance(item, dict) else 1.0
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight < math.inf:
            check.add(("losses", index, "weight"), f"must be a finite number >= 0, got {weight!r}")
            continue
        if found:
            losses.append(LossConfig("loss", found[0], found[1], float(weight)))
    return losses


def _model(check: _Checker, value: Any) -> dict[str, ComponentConfig]:
    if not isinstance(value, dict):
        check.add(("model",), "must map part names (generator, discriminator, ...) to '{backbone: NAME, ...}'")
        return {}
    parts = {}
    for part, item in value.items():
        found = check.component(("model", part), item, "backbone")
        if found:
            parts[str(part)] = ComponentConfig("backbone", *found)
    return parts


def _survey_data(check: _Checker, recipe: Recipe, state: ScheduleState) -> bool:
    """Let the dataset report what it holds (``FaceDataset.survey``) so stages can plan against it."""
    target = check.registry.get("dataset", recipe.data.name).load()
    survey = getattr(target, "survey", None)
    if not callable(survey):
        return True
    try:
        facts = survey(**recipe.data.args)
    except PlanError as error:
        check.add(("data",) + ((error.field,) if error.field else ()), error.message)
        return False
    if facts is None:
        return True
    if not isinstance(facts, Fact):
        check.add(("data",), f"dataset '{recipe.data.name}': survey() returned a {type(facts).__name__}, "
                             "not a zoo.sdk.Fact (a plugin bug: see docs/plugins.md)")
        return False
    state.put(facts)
    return True


def _plan(check: _Checker, recipe: Recipe) -> None:
    state = ScheduleState(recipe=recipe)
    if not _survey_data(check, recipe, state):
        return
    for index, config in enumerate(recipe.stages):
        path: YamlPath = ("stages", index)
        try:
            stage = config.build()
            recipe.plans.append(stage.plan(state))
        except PlanError as error:
            check.add(path + ((error.field,) if error.field else ()), error.message)
            return
        except ZooError as error:
            check.add(path, str(error))
            return


def parse_recipe(
    text: str, file: str, overrides: list[str] | None = None, registry: Registry | None = None
) -> Recipe:
    """Validate recipe text; raise :class:`RecipeError` listing every problem with its location."""
    located = parse_located(text, file)
    if not isinstance(located.data, dict):
        kind = type(located.data).__name__
        raise ZooError(f"{file}:1: the recipe must be a mapping of sections (name, data, model, stages, ...), got a {kind}")
    apply_overrides(located, overrides or [])
    unset = expand_environment(located)
    if unset:
        raise RecipeError(unset)
    data: dict[str, Any] = located.data
    check = _Checker(located, registry or default_registry())
    _check_sections(check, data)
    top = check.model(TopLevel, (), {k: data[k] for k in ("name", "seed", "device", "description") if k in data})
    output = check.model(OutputConfig, ("output",), data.get("output") or {})
    dataset = check.component(("data",), data["data"], "dataset") if "data" in data else None
    model = _model(check, data.get("model", {}))
    losses = _losses(check, data.get("losses", []))
    stages = _stages(check, data["stages"]) if "stages" in data else []
    if check.problems:
        raise RecipeError(check.problems)
    assert top is not None and output is not None and dataset is not None
    recipe = Recipe(
        name=top.name,
        seed=top.seed,
        device=top.device,
        description=top.description,
        data=ComponentConfig("dataset", *dataset),
        model=model,
        losses=losses,
        stages=stages,
        output=output,
        path=Path(file),
        resolved=data,
    )
    available = _check_machine(check, recipe)
    if not check.problems:
        _plan(check, recipe)
    if not check.problems:
        _check_outputs(check, recipe, available)
    if check.problems:
        raise RecipeError(check.problems)
    return recipe


def _check_machine(check: _Checker, recipe: Recipe) -> int:
    """The device exists and each model part (built on the meta device) fits; returns the memory."""
    from zoo.recipe.resources import device_problem, format_bytes, machine_memory, part_bytes, resolved_device

    device = resolved_device(recipe.device)
    problem = device_problem(device)
    if problem:
        check.add(("device",), problem)
        return 0
    available, whose = machine_memory(device)
    for part, config in recipe.model.items():
        try:
            count, needed = part_bytes("backbone", config.name, config.args)
        except ZooError as error:
            check.add(("model", part), str(error))
            continue
        if needed > available:
            check.add(("model", part), f"this {part} needs ~{format_bytes(needed)} to train ({count:,} parameters, "
                                       f"with gradients and optimiser state), {_more_than(available, whose)}")
    return available


def _more_than(available: int, whose: str) -> str:
    from zoo.recipe.resources import format_bytes

    return f"more than {whose} {format_bytes(available)} of memory"


def _check_outputs(check: _Checker, recipe: Recipe, available: int) -> None:
    """The run directory can be created, and the largest sample set fits in memory."""
    from zoo.outputs import OutputError, check_output_folder
    from zoo.recipe.resources import format_bytes, machine_memory, resolved_device, sample_bytes

    try:
        check_output_folder(recipe.run_dir, recipe.input_folders(), what=f"run directory {recipe.run_dir}")
    except OutputError as error:
        check.add(("output", "dir") if recipe.output.dir else ("name",), str(error))
    whose = machine_memory(resolved_device(recipe.device))[1]
    for index, plan in enumerate(recipe.plans):
        needed = sample_bytes(plan.quantity, plan.resolution) if plan.quantity and plan.resolution else 0
        if needed > available:
            check.add(("stages", index, "quantity"), f"{plan.quantity} samples at {plan.resolution}px need "
                                                     f"~{format_bytes(needed)}, {_more_than(available, whose)}")
            return  # the stages after it use the same samples


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read and validate a recipe file (see :func:`parse_recipe`)."""
    path = Path(path)
    return parse_recipe(read_recipe_text(path), str(path), overrides)

