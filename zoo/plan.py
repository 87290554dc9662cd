"""The dry-run table: what each stage will do, at what resolution, on how many samples."""

from __future__ import annotations

from zoo.recipe.model import Recipe
from zoo.table import render_table

__all__ = ["plan_rows", "render_plan"]


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
