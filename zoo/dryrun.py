"""The dry run: what each stage will do, at what resolution, on how many samples.

:func:`plan_run` is ``zoo.plan`` (and so ``zoo run --dry-run``): the recipe, validated completely
when it loaded, plus every check of the run directory that can refuse before work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zoo.recipe.model import Recipe
from zoo.table import render_table

__all__ = ["RunPlan", "plan_run", "plan_rows", "render_plan"]


@dataclass(frozen=True)
class RunPlan:
    """A checked recipe and its plan, as a table for people or as data."""

    recipe: Recipe

    def render(self) -> str:
        """The resolved recipe, then the plan table."""
        return f"{self.recipe.resolved_yaml().rstrip()}\n\n{render_plan(self.recipe)}"

    def to_json(self) -> dict[str, Any]:
        from zoo.threads import current_settings

        return {"name": self.recipe.name, "run_dir": str(self.recipe.run_dir), "plan": plan_rows(self.recipe),
                "threads": current_settings().as_dict()}


def plan_run(recipe: Recipe, *, resume: bool = False, force: bool = False) -> RunPlan:
    """Check the run directory as a run would (read-only) and return the plan; raises ZooError when refused."""
    from zoo.runner import check_run

    check_run(recipe, resume=resume, force=force)
    return RunPlan(recipe)


def plan_rows(recipe: Recipe) -> list[dict[str, object]]:
    """The plan as data (``zoo run --dry-run --json``); stages numbered from 1 as a person counts."""
    return [
        {"stage": index + 1, "name": config.name, "action": plan.action, "resolution": plan.resolution,
         "quantity": plan.quantity, "trainable": plan.trainable}
        for index, (config, plan) in enumerate(zip(recipe.stages, recipe.plans))
    ]


def render_plan(recipe: Recipe) -> str:
    header = ("#", "STAGE", "WHAT IT DOES", "RESOLUTION", "QUANTITY", "TRAINABLE")
    rows = [
        (
            str(index + 1),  # stages are counted from 1 wherever a person reads them
            config.name,
            plan.action,
            "-" if plan.resolution is None else f"{plan.resolution}px",
            "-" if plan.quantity is None else str(plan.quantity),
            plan.trainable or "-",
        )
        for index, (config, plan) in enumerate(zip(recipe.stages, recipe.plans))
    ]
    return f"plan for '{recipe.name}' ({len(rows)} stages, run dir {recipe.run_dir}):\n" + render_table(header, rows)
