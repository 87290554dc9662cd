"""Which identity judge ``zoo eval`` uses, and whether it may be called independent of the model.

A model can learn to fool the encoder it was trained against (identity loss, feature loss) or
conditioned on (the source embedding it is fed) without looking like the person to anyone else.
So a judge is "independent" only when the model's config and recipe name it nowhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import torch

from zoo.errors import ZooError
from zoo.refs import ComponentRef
from zoo_faces.defaults import DEFAULT_JUDGE

__all__ = ["Judge", "build_judge", "describe_judge_overlap", "encoder_roles", "judge_independence", "read_recipe"]


class Judge(Protocol):
    """The judge role: aligned N×3×H×W faces in [0, 1] → N×D unit embeddings; inference only.

    Any identity encoder can judge too (``--judge mobilefacenet``); a judge need not be differentiable.
    """

    def forward(self, images: torch.Tensor) -> torch.Tensor: ...


def build_judge(name: str = DEFAULT_JUDGE, args: dict[str, Any] | None = None) -> torch.nn.Module:
    """A registered identity encoder (``forward``: aligned faces → unit embeddings), with real weights."""
    import zoo

    from zoo_inference.evaluate import EvalError

    args = dict(args or {})
    spec = zoo.get_spec("backbone", name)
    if "weights" in spec.schema().model_fields and args.get("weights") is None:
        raise EvalError(
            f"judge '{name}' needs pretrained weights to mean anything: pass -j weights=PATH "
            "(e.g. mobilefacenet_casia.safetensors)"
        )
    judge = zoo.build("backbone", name, **args)
    if not isinstance(judge, torch.nn.Module):
        raise EvalError(f"judge '{name}' is not an identity encoder (it does not build a torch module)")
    return judge.eval()


def encoder_roles(model_info: dict[str, Any], recipe: dict[str, Any] | None = None) -> dict[str, list[str]]:
    """Registered backbones the model was conditioned on or trained against → what each did.

    The conditioning encoder comes from the model's ``info``; loss encoders from the recipe's
    ``losses`` (each loss's arguments validated against its schema, so defaults count too: an
    ``identity`` loss with no ``encoder`` trains against its default one).
    """
    import zoo

    roles: dict[str, list[str]] = {}
    identity = model_info.get("identity")
    conditioned = identity.get("name") if isinstance(identity, dict) else identity
    if isinstance(conditioned, str) and conditioned != "learned":
        roles.setdefault(conditioned, []).append("conditioning encoder")
    backbones = {spec.name for spec in zoo.list_components("backbone")}
    for entry in (recipe or {}).get("losses") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("loss"), str):
            continue
        name = entry["loss"]
        args = {key: value for key, value in entry.items() if key not in ("loss", "weight")}
        try:
            validated = zoo.get_spec("loss", name).validate(args)
        except ZooError:
            validated = args  # a loss no longer installed: its explicit arguments still tell
        for key, value in validated.items():
            named = value.name if isinstance(value, ComponentRef) else value  # typed references, or old plain names
            if isinstance(named, str) and named in backbones:
                roles.setdefault(named, []).append(f"{name}-loss {key}")
    return roles


def read_recipe(folder: Path) -> dict[str, Any] | None:
    """The recipe a model folder was trained with (``recipe.yaml``), if it has one."""
    import yaml

    from zoo.modelfolder.layout import RECIPE_NAME

    path = Path(folder) / RECIPE_NAME
    if not path.is_file():
        return None
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) else None


def describe_judge_overlap(model_info: dict[str, Any], judge: str, recipe: dict[str, Any] | None = None) -> str | None:
    """A note when the judge is an encoder the model was trained or conditioned with (scores then flatter it)."""
    roles = encoder_roles(model_info, recipe).get(judge)
    if not roles:
        return None
    return (f"the judge '{judge}' is also the model's {' and '.join(roles)}: NOT independent, identity scores "
            f"flatter the model (judge with another encoder, e.g. --judge {DEFAULT_JUDGE})")


def judge_independence(model_info: dict[str, Any], judge: str, recipe: dict[str, Any] | None = None) -> str:
    """One line for the report: independent, or not and why."""
    overlap = describe_judge_overlap(model_info, judge, recipe)
    if overlap is not None:
        return f"judge: {judge} (NOT independent: {', '.join(encoder_roles(model_info, recipe)[judge])})"
    return f"judge: {judge} (independent: the model was neither conditioned on nor trained against it)"
