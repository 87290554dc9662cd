"""``export`` writes the model folder; ``push`` sends it to the Hugging Face Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field
from zoo.context import RunContext, StageSummary
from zoo.errors import ZooError
from zoo.refs import ComponentRef
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo_curriculum.facts import Exported, Grid, Metrics
from zoo_curriculum.planning import generator_resolution

__all__ = ["Export", "Push"]

_SWAP_CARD_INTRO = (
    "A face-swap model made with faceswap-zoo. Load it in Python with "
    '`zoo.from_pretrained("<repo or folder>")`, or swap faces in photos with '
    "`zoo swap --model <repo or folder> --source A.jpg --target B.jpg -o out.png`."
)


def _identity_info(identity: ComponentRef | str | None) -> dict[str, Any]:
    """Which encoder the generator is conditioned on, and the weights file it was trained with."""
    if not isinstance(identity, ComponentRef):
        return {"name": identity or "learned", "weights": None}
    return {"name": identity.name, "weights": identity.args.get("weights")}


class Export:
    """Write the model folder: model.safetensors, config.json, recipe.yaml, model card."""

    def __init__(
        self,
        dir: Annotated[str | None, Field(description="model folder (default: <run dir>/model)")] = None,
        include_discriminator: bool = False,
        license: Annotated[str, Field(description="license for the model card metadata")] = "other",
    ):
        self.dir, self.include_discriminator, self.license = dir, include_discriminator, license

    def plan(self, state: ScheduleState) -> StagePlan:
        resolution = generator_resolution(state)
        if self.dir:
            from zoo.modelfolder import check_replaceable
            from zoo.outputs import check_output_folder

            try:
                check_output_folder(Path(self.dir), state.recipe.input_folders(), what=f"export dir {self.dir}")
                check_replaceable(Path(self.dir))
            except ZooError as error:
                raise PlanError("dir", str(error)) from None
        state.put(Exported(self.dir or str(state.recipe.run_dir / "model")))
        return StagePlan(f"export model folder to {self.dir or '<run dir>/model'}", resolution)

    def run(self, context: RunContext) -> None:
        from zoo.modelfolder import PartSpec, save_model_folder

        directory = Path(self.dir) if self.dir else context.run_dir / "model"
        names = ["generator"] + (["discriminator"] if self.include_discriminator and "discriminator" in context.parts else [])
        for name in names:
            context.update_part_args(name)
        from zoo.registry import default_registry

        metrics = context.get(Metrics)
        generator_spec = context.recipe.model["generator"]
        role = default_registry().get("backbone", generator_spec.name).role  # a segmenter recipe exports a segmenter
        info = {
            **({"role": role} if role != "generator" else {}),
            "resolution": context.parts["generator"].output_resolution,
            "input_resolution": context.parts["generator"].input_resolution,
            **({"identity": _identity_info(generator_spec.args.get("identity"))} if role == "generator" else {}),
            "metrics": metrics.values if metrics else {},
            "stages": [
                {"index": s.index, "stage": s.stage, "resolution": s.resolution, "samples": s.samples,
                 "steps": s.steps, "seconds": round(s.seconds, 1), "losses": s.losses}
                for s in context.summaries
            ],
            "recipe": context.recipe.name,
            "training_data": {"dataset": context.recipe.data.name, "licence": getattr(context.data, "licence", None)},
        }
        if context.dist.is_main:
            grid = context.get(Grid)
            save_model_folder(
                directory,
                parts={name: context.parts[name] for name in names},
                specs={name: PartSpec(name=context.recipe.model[name].name, args=context.part_args[name]) for name in names},
                info=info,
                recipe_text=context.recipe.resolved_yaml(),
                sample_grid=Path(grid.path) if grid else None,
                license=self.license,
                overwrite=True,
                card_intro=_SWAP_CARD_INTRO if role == "generator" else None,
                card_tags=("face-swap",) if role == "generator" else (role,),
            )
        context.put(Exported(str(directory)))
        context.summaries.append(StageSummary(context.stage_index, "export", info["resolution"]))


class Push:
    """Push the exported model folder to the Hugging Face Hub."""

    def __init__(
        self,
        repo: Annotated[str | None, Field(pattern=r"^[\w.\-]+/[\w.\-]+$", description="org/name (default: output.push_to_hub.repo)")] = None,
        private: bool | None = None,
        revision: str | None = None,
    ):
        self.repo, self.private, self.revision = repo, private, revision

    def plan(self, state: ScheduleState) -> StagePlan:
        target = state.recipe.output.push_to_hub
        if self.repo is None and target is None:
            raise PlanError("repo", "name a repo here or set output.push_to_hub.repo")
        if state.get(Exported) is None:
            raise PlanError(None, "push needs an export stage before it")
        return StagePlan(f"push model folder to {self.repo or target.repo}")

    def run(self, context: RunContext) -> None:
        from zoo.hub import push_to_hub

        target = context.recipe.output.push_to_hub
        repo = self.repo or target.repo
        private = self.private if self.private is not None else bool(target and target.private)
        revision = self.revision or (target.revision if target else None)
        exported = context.get(Exported)
        if exported is None:
            raise ZooError(f"stage {context.stage_number}: nothing exported to push; add an export stage before it")
        if context.dist.is_main:
            url = push_to_hub(exported.directory, repo, private=private, revision=revision)
            context.metrics.log(stage=context.stage_index, event="push", repo=repo, commit=url)
        context.summaries.append(StageSummary(context.stage_index, "push"))
