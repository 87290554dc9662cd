"""Where the generator's identity embedding comes from: a small learned encoder or a frozen one.

The learned encoder lets a model train from nothing (the quickstart has no weights); a registered
face-recognition encoder gives a much better identity signal and stays frozen inside the model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo_swap.layers import ConvAct

__all__ = ["LearnedIdentity", "embedding_dim"]

_LEARNED_LEVELS = 4


class LearnedIdentity(nn.Module):
    """Trainable source encoder: strided convolutions, global average pooling, linear, L2 norm."""

    def __init__(self, channels: int, max_channels: int, id_dim: int):
        super().__init__()
        widths = [min(channels * 2**level, max_channels) for level in range(_LEARNED_LEVELS)]
        self.body = nn.Sequential(*(ConvAct(cin, cout, stride=2) for cin, cout in zip([3, *widths], widths)))
        self.project = nn.Linear(widths[-1], id_dim)

    def forward(self, source: Tensor) -> Tensor:
        pooled = self.body(source * 2 - 1).mean(dim=(2, 3))
        return F.normalize(self.project(pooled), dim=1)


@torch.no_grad()
def embedding_dim(encoder: nn.Module) -> int:
    """Width of the encoder's embedding, found by embedding one blank aligned face."""
    return int(encoder(torch.zeros(1, 3, 112, 112)).shape[-1])
