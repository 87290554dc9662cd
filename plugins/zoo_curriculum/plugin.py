"""Registers the built-in curriculum stages. Imports nothing heavy (see zoo.hookspecs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from zoo.registry import RegisterFn

__all__ = ["register_roles", "register_stages"]


@hookimpl
def register_roles(register) -> None:  # type: ignore[no-untyped-def]
    register("generator", "zoo_curriculum.roles:Generator",
             "the model a recipe trains: forward/swap on aligned faces, grow, set_fade, build_args")


@hookimpl
def register_stages(register: RegisterFn) -> None:
    register("build_triplets", "zoo_curriculum.build:BuildTriplets",
             "Method P samples (P1/P4/P10): (source, template, label) triplets at a resolution and quantity")
    register("build_groups", "zoo_curriculum.build:BuildGroups",
             "Method F sample groups (F1/F2/F6): fake-template and fake-label groups from a named swapper")
    register("upscale", "zoo_curriculum.upscale:Upscale",
             "Resolution enhancement (P9): upscale the current samples with a registered upscaler")
    register("grow", "zoo_curriculum.grow:Grow",
             "Insert a resolution-update layer into the generator (P3/P7), old weights kept exactly")
    register("train", "zoo_curriculum.train:Train",
             "Train the chosen parameters (all, new, or name patterns) on the current samples")
    register("evaluate", "zoo_curriculum.evaluate:Evaluate",
             "Metrics on held-out identities (L1, PSNR, SSIM against ground truth) and a sample grid")
    register("export", "zoo_curriculum.export:Export",
             "Write the model folder: model.safetensors, config.json, recipe.yaml, model card")
    register("push", "zoo_curriculum.export:Push",
             "Push the exported model folder to the Hugging Face Hub")
