"""Which parameters a train stage updates: all, the last grow's new layer, or name patterns."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from torch import nn
from zoo.errors import ZooError

__all__ = ["select_trainable"]


def select_trainable(generator: nn.Module, trainable: str, new_names: Sequence[str] | None) -> list[str]:
    """Set ``requires_grad`` on the generator and return the trainable parameter names.

    Frozen sub-networks (a pretrained identity encoder) never train, whatever the selection.
    """
    allowed = set(generator.trainable_parameter_names())
    if trainable == "all":
        chosen = allowed
    elif trainable == "new":
        if not new_names:
            raise ZooError("trainable: new needs a grow stage before it")
        chosen = allowed & set(new_names)
    else:
        patterns = [p.strip() for p in trainable.split(",") if p.strip()]
        chosen = {name for name in allowed if any(fnmatch.fnmatchcase(name, p) for p in patterns)}
    if not chosen:
        raise ZooError(f"trainable: {trainable!r} selects no parameter of the generator")
    for name, parameter in generator.named_parameters():
        parameter.requires_grad_(name in chosen)
    return sorted(chosen)
