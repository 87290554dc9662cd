"""Resolve "the existing swapper" of METHODS.md (P10, F1, F2) from a recipe name.

``exact`` renders ground truth (synthetic data only), ``self`` is the generator being trained
(self-distillation round), any other name is a registered backbone with ``swap(source, template)``,
and ``swapper_model`` names a model folder or Hub repo whose generator does the swapping.
"""

from __future__ import annotations

from typing import Any

import torch
from zoo.context import RunContext
from zoo.errors import ZooError
from zoo.refs import ComponentRef

__all__ = ["resolve_swapper", "BatchedSwapper"]


class BatchedSwapper:
    """Runs a swapper in chunks without gradients, on the run's device, returning CPU tensors."""

    def __init__(self, swapper: Any, device: torch.device, chunk: int = 64):
        self.swapper = swapper
        self.device = device
        self.chunk = chunk

    def swap(self, source: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        outputs = []
        with torch.no_grad():
            for start in range(0, len(source), self.chunk):
                s = source[start : start + self.chunk].to(self.device)
                t = template[start : start + self.chunk].to(self.device)
                outputs.append(self.swapper.swap(s, t).float().clamp(0, 1).cpu())
        return torch.cat(outputs)


def resolve_swapper(context: RunContext, swapper: ComponentRef, model: str | None) -> Any:
    """The object that makes labels: a model folder's generator, 'exact', 'self', or the referenced swapper."""
    name = swapper.name
    if model is not None:
        from zoo.hub import from_pretrained

        folder = from_pretrained(model)
        return BatchedSwapper(folder.parts["generator"].to(context.device), context.device)
    if name == "exact":
        if not getattr(context.data, "supports_exact_swap", False):
            raise ZooError(f"swapper 'exact' needs a dataset that renders ground truth (like synthfaces), not {context.recipe.data.name}")
        return "exact"
    if name == "self":
        generator = context.parts.get("generator")
        if generator is None:
            raise ZooError("swapper 'self' needs a generator in the recipe's model section")
        return BatchedSwapper(generator, context.device)
    return BatchedSwapper(swapper.build(), torch.device("cpu"))
