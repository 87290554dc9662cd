"""Losses that judge results with a network (identity encoder, feature extractor) keep it frozen.

The network is built by registered name (never an import path) and must not learn or update its
batch-norm statistics, even when the trainer calls ``train()`` on every loss module.
"""

from __future__ import annotations

import warnings
from typing import Any

from torch import nn

from zoo.errors import ArgumentError

__all__ = ["FrozenHolder", "build_frozen_backbone"]


def build_frozen_backbone(name: str, args: dict[str, Any], method: str, role: str) -> nn.Module:
    """Build backbone ``name`` with ``args`` and check it offers ``method``; ``role`` names the user.

    Warns when the backbone takes weights and none were given: a randomly initialised judge
    gives a loss that trains nothing useful, which is easy to miss in a long run.
    """
    import zoo

    network = zoo.build("backbone", name, **args)
    if not isinstance(network, nn.Module) or not callable(getattr(network, method, None)):
        raise ArgumentError(f"{role}: backbone '{name}' has no {method}(images) method to use here")
    if args.get("weights") is None and "weights" in zoo.get_spec("backbone", name).schema().model_fields:
        warnings.warn(f"{role}: backbone '{name}' has no weights (random init): set its 'weights' argument", stacklevel=3)
    return network


class FrozenHolder(nn.Module):
    """Base of losses that own frozen networks: they stay in eval mode and take no gradient."""

    def __init__(self) -> None:
        super().__init__()
        self._frozen_names: list[str] = []

    def hold(self, name: str, network: nn.Module) -> None:
        """Register ``network`` as submodule ``name``, frozen."""
        network.requires_grad_(False)
        self.add_module(name, network.eval())
        self._frozen_names.append(name)

    def train(self, mode: bool = True) -> FrozenHolder:
        super().train(mode)
        for name in self._frozen_names:
            getattr(self, name).eval()
        return self
