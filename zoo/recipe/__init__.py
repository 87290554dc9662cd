"""Recipes: YAML that names registered components, validated in full before any work starts."""

from zoo.recipe.load import load_recipe, parse_recipe
from zoo.recipe.model import ComponentConfig, LossConfig, Recipe

__all__ = ["load_recipe", "parse_recipe", "Recipe", "ComponentConfig", "LossConfig"]
