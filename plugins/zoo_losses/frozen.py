"""Losses that judge results with a network (identity encoder, feature extractor) keep it frozen.

The network (built by :func:`zoo.frozen.build_frozen`) must not learn or update its batch-norm
statistics, even when the trainer calls ``train()`` on every loss module.
"""

from __future__ import annotations

from torch import nn

__all__ = ["FrozenHolder"]


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
