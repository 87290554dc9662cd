"""Sample-building stages: Method P triplets (P1, P4, P8, P10) and Method F groups (F1, F2, F6)."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from pydantic import Field
from zoo.context import RunContext, StageSummary
from zoo.progress import Progress
from zoo.refs import ComponentRef, Ref, as_ref
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo_curriculum.facts import Samples
from zoo_curriculum.planning import check_identities, generator_resolution
from zoo_curriculum.samples import store_samples
from zoo_curriculum.splits import training_indices
from zoo_curriculum.swappers import resolve_swapper

__all__ = ["BuildTriplets", "BuildGroups"]

Resolution = Annotated[int, Field(ge=8, le=4096, description="input resolution of the samples")]
Quantity = Annotated[int, Field(gt=0, description="number of samples (per group for build_groups)")]
SwapperRef = Ref("swapper", special=("exact", "self"))
Swapper = Annotated[SwapperRef, Field(description="a registered swapper (with its arguments), 'exact' (synthetic ground truth) or 'self'")]
UpscalerRef = Ref("upscaler")
Upscaler = Annotated[UpscalerRef, Field(description="registered upscaler for resolutions above the data's (P9)")]
HeldOut = Annotated[float, Field(ge=0, lt=1, description="fraction of identities kept out of training for evaluate")]


def _check_resolution(state: ScheduleState, resolution: int, label_resolution: int | None) -> int:
    label = label_resolution or resolution
    if label < resolution:
        raise PlanError("label_resolution", f"must be at least the input resolution {resolution}")
    previous = state.get(Samples)
    if previous and resolution < previous.resolution:
        raise PlanError("resolution", f"must not decrease: the previous samples were {previous.resolution}px")
    output = generator_resolution(state)
    if label != output:
        raise PlanError(
            "label_resolution" if label_resolution else "resolution",
            f"labels at {label}px do not match the generator's output resolution {output}px at this point "
            "(add a grow stage before, or change the resolution)",
        )
    return label


def _progress(context: RunContext, stage: str, samples: int) -> Progress:
    return Progress(f"stage {context.stage_number} {stage}", samples, unit="sample", enabled=context.dist.is_main)


class BuildTriplets:
    """Method P samples (P1/P4/P10): (source, template, label) triplets at a resolution and quantity."""

    def __init__(
        self,
        resolution: Resolution,
        quantity: Quantity,
        label_resolution: Annotated[int | None, Field(ge=8, description="labels above the input resolution (P8)")] = None,
        swapper: Swapper = "classical_compositor",
        swapper_model: Annotated[str | None, Field(description="model folder or Hub repo whose generator makes labels")] = None,
        upscaler: Upscaler = "bicubic",
        held_out: HeldOut = 0.1,
    ):
        self.args = dict(resolution=resolution, quantity=quantity, label_resolution=label_resolution)
        self.swapper: ComponentRef = as_ref(SwapperRef, swapper)
        self.swapper_model = swapper_model
        self.upscaler: ComponentRef = as_ref(UpscalerRef, upscaler)
        self.held_out = held_out

    def plan(self, state: ScheduleState) -> StagePlan:
        label = _check_resolution(state, self.args["resolution"], self.args["label_resolution"])
        check_identities(state, self.held_out, ["triplet"])
        state.put(Samples(resolution=self.args["resolution"], label_resolution=label, quantity=self.args["quantity"],
                          groups=("triplet",), held_out=self.held_out))
        source = self.swapper_model or self.swapper.name
        return StagePlan(f"build triplets, labels by {source}", label, self.args["quantity"])

    def run(self, context: RunContext) -> None:
        from zoo_datasets.samples import build_triplets

        started = time.perf_counter()
        swapper = resolve_swapper(context, self.swapper, self.swapper_model)
        with _progress(context, "build_triplets", self.args["quantity"]) as progress:
            triplets = build_triplets(
                context.data,
                resolution=self.args["resolution"],
                quantity=self.args["quantity"],
                swapper=swapper,
                label_resolution=self.args["label_resolution"],
                upscaler=self.upscaler.build(),
                seed=context.seed_for(context.stage_index, "triplets"),
                indices=training_indices(context, self.held_out),
                progress=progress,
            )
        store_samples(context, [triplets], held_out=self.held_out)
        context.summaries.append(StageSummary(context.stage_index, "build_triplets", triplets.label.shape[-1],
                                              len(triplets), seconds=time.perf_counter() - started))


class BuildGroups:
    """Method F sample groups (F1/F2/F6): fake-template and fake-label groups from a named swapper."""

    def __init__(
        self,
        resolution: Resolution,
        quantity: Quantity,
        groups: Annotated[list[Literal["fake_template", "fake_label", "self"]],
                      Field(description="F1 fake_template, F2 fake_label, and/or self (source = template = label: the self-reconstruction baseline)")] = ["fake_template", "fake_label"],
        swapper: Swapper = "classical_compositor",
        swapper_model: Annotated[str | None, Field(description="model folder or Hub repo whose generator swaps")] = None,
        upscaler: Upscaler = "bicubic",
        held_out: HeldOut = 0.1,
    ):
        if not groups:
            raise PlanError("groups", "name at least one group: fake_template, fake_label and/or self")
        self.resolution, self.quantity, self.groups = resolution, quantity, list(dict.fromkeys(groups))
        self.swapper: ComponentRef = as_ref(SwapperRef, swapper)
        self.swapper_model = swapper_model
        self.upscaler: ComponentRef = as_ref(UpscalerRef, upscaler)
        self.held_out = held_out

    def plan(self, state: ScheduleState) -> StagePlan:
        _check_resolution(state, self.resolution, None)
        check_identities(state, self.held_out, self.groups)
        state.put(Samples(resolution=self.resolution, label_resolution=self.resolution,
                          quantity=self.quantity * len(self.groups), groups=tuple(self.groups), held_out=self.held_out))
        source = "no swapper" if self.groups == ["self"] else self.swapper_model or self.swapper.name
        return StagePlan(f"build {' + '.join(self.groups)} groups with {source}", self.resolution,
                         self.quantity * len(self.groups))

    def run(self, context: RunContext) -> None:
        from zoo_datasets.samples import build_groups

        started = time.perf_counter()
        swapper = resolve_swapper(context, self.swapper, self.swapper_model)
        with _progress(context, "build_groups", self.quantity * len(self.groups)) as progress:
            sets = build_groups(
                context.data,
                resolution=self.resolution,
                quantity=self.quantity,
                swapper=swapper,
                groups=tuple(self.groups),
                upscaler=self.upscaler.build(),
                seed=context.seed_for(context.stage_index, "groups"),
                indices=training_indices(context, self.held_out),
                progress=progress,
            )
        store_samples(context, sets, held_out=self.held_out)
        context.summaries.append(StageSummary(context.stage_index, "build_groups", self.resolution,
                                              sum(len(s) for s in sets), seconds=time.perf_counter() - started))

