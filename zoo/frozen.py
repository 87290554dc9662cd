"""Networks a component only consults — identity encoders, feature extractors — built frozen.

One helper for every such use (generator conditioning, identity and feature losses): the network
is built from a typed reference (never an import path), takes no gradient, stays in eval mode, and
a missing ``weights`` argument is said out loud, because a randomly initialised judge trains nothing
useful and is easy to miss in a long run.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from zoo.errors import ArgumentError
from zoo.refs import ComponentRef
from zoo.weights import weights_fields

if TYPE_CHECKING:
    from torch import nn

__all__ = ["build_frozen", "weights_follow"]

_WEIGHTS_FOLLOW: ContextVar[bool] = ContextVar("zoo_frozen_weights_follow", default=False)


@contextmanager
def weights_follow() -> Iterator[None]:
    """Rebuilding a saved model whose state dict carries its frozen networks' tensors (a model folder,
    a snapshot): a missing ``weights`` argument is then expected, not a random judge worth a warning."""
    token = _WEIGHTS_FOLLOW.set(True)
    try:
        yield
    finally:
        _WEIGHTS_FOLLOW.reset(token)


def build_frozen(ref: ComponentRef, method: str, user: str) -> nn.Module:
    """Build ``ref``, check it offers ``method``, freeze it; ``user`` names who needs it in messages."""
    from torch import nn

    import zoo

    network = ref.build()
    if not isinstance(network, nn.Module) or not callable(getattr(network, method, None)):
        raise ArgumentError(f"{user}: backbone '{ref.name}' has no {method}(images) method to use here")
    unset = [name for name in weights_fields(zoo.get_spec("backbone", ref.name).schema()) if ref.args.get(name) is None]
    if unset and not _WEIGHTS_FOLLOW.get():
        warnings.warn(f"{user}: backbone '{ref.name}' has no weights (random init): set its '{unset[0]}' argument",
                      stacklevel=3)
    network.requires_grad_(False)
    return network.eval()
