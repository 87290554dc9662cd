"""The ``judge`` stage: the trained model beside its baselines on held-out people, by an independent judge.

``evaluate`` measures pixels against a reference swapper's output, which on real photos is the
classical compositor — so it rewards imitating the compositor. ``judge`` asks what a person
would: is the result recognised as the source (identity top-1 among the held-out people plus
distractors, identity similarity) while keeping the template's head pose and expression (68
landmarks)? It runs ``zoo eval``'s own measurement (:func:`~zoo_inference.evaluate.evaluate_swaps`)
on the people the build stages held out, with the training people as retrieval distractors, and
puts the model's numbers, their 95 % intervals and the baselines' (template unchanged, source
copied, classical compositor) where ``export`` writes them into the model card.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from zoo.atomic import write_atomic
from zoo.context import RunContext, StageSummary
from zoo.schedule import PlanError, ScheduleState, StagePlan
from zoo_curriculum.facts import Grid, Metrics, Samples
from zoo_curriculum.planning import generator_resolution, samples_fact
from zoo_curriculum.splits import held_out_indices, training_indices
from zoo_faces.defaults import DEFAULT_DETECTOR, DEFAULT_JUDGE

__all__ = ["JudgeStage", "JUDGED_NAME", "judged_metrics"]

JUDGED_NAME = "judged.json"
_BASELINES = ("template", "source", "compositor")


class JudgeStage:
    """Swap held-out people and judge identity and pose beside the template / source / compositor baselines."""

    def __init__(
        self,
        pairs: Annotated[int, Field(gt=0, le=4096, description="held-out (source, template) pairs")] = 96,
        judge: Annotated[str, Field(description="identity encoder that judges (`zoo list --role identity_encoder`); "
                                                "independent of the model's own encoders")] = DEFAULT_JUDGE,
        distractors: Annotated[int, Field(ge=0, description="training people added to the retrieval gallery "
                                                            "(chosen by the recipe seed)")] = 64,
    ):
        self.pairs, self.judge, self.distractors = pairs, judge, distractors

    def plan(self, state: ScheduleState) -> StagePlan:
        samples = samples_fact(state, "pairs")
        if samples.held_out <= 0:
            raise PlanError(None, "judge needs held-out people: give the build stage held_out > 0")
        from zoo_inference.judges import describe_judge_overlap

        overlap = describe_judge_overlap(_model_info(state.recipe), self.judge, state.recipe.resolved)
        if overlap is not None:
            raise PlanError("judge", overlap)
        resolution = generator_resolution(state)
        return StagePlan(f"judge {self.pairs} held-out pairs with {self.judge} beside template, source and compositor",
                         resolution, self.pairs)

    def run(self, context: RunContext) -> None:
        import zoo
        from zoo_datasets.base import Subset, identity_groups
        from zoo_inference.evaluate import evaluate_swaps
        from zoo_inference.comparison import comparison_table
        from zoo_inference.judges import build_judge, judge_independence

        started = time.perf_counter()
        generator = context.parts["generator"]
        held = Subset(context.data, held_out_indices(context))
        result = evaluate_swaps(generator, held, build_judge(self.judge).to(context.device), pairs=self.pairs,
                                seed=context.recipe.seed, landmarker=zoo.build("detector", DEFAULT_DETECTOR).detect_68,
                                distractors=self._distractors(context, Subset, identity_groups))
        independence = judge_independence(_model_info(context.recipe), self.judge, context.recipe.resolved)
        result.headline = f"{independence}; mean [95% bootstrap interval] over pairs"
        metrics = judged_metrics(result.to_json()["comparison"])
        context.put(Metrics(metrics))
        context.metrics.log(stage=context.stage_index, event="judge", **metrics)
        if context.dist.is_main:
            context.put(Grid(str(self._grid(context, generator, held, result.details))))
            report = {"judge": self.judge, "pairs": self.pairs, "people": result.metrics["identities"],
                      "distractor_people": result.metrics["distractor_identities"], **result.to_json()}
            write_atomic(context.run_dir / JUDGED_NAME, (json.dumps(report, indent=1) + "\n").encode())
            notes = [f"note: {note}" for note in result.notes if note.startswith("pose and expression measured")]
            print("\n".join([comparison_table(result.comparison, result.headline), *notes]), flush=True)
        context.summaries.append(StageSummary(context.stage_index, "judge", generator.output_resolution, self.pairs,
                                              seconds=time.perf_counter() - started,
                                              losses={k: metrics[k] for k in ("identity_top1", "landmark68_distance")
                                                      if k in metrics}))

    @staticmethod
    def _grid(context: RunContext, generator: Any, held: Any, plan: dict[str, list[int]], rows: int = 8) -> Path:
        """The first judged pairs as a picture: source | template | classical compositor | model."""
        import torch

        from zoo_curriculum.grid import save_grid
        from zoo_faces.compositor import ClassicalCompositor

        size = int(generator.input_resolution)
        sources, templates = held.images(plan["sources"][:rows], size), held.images(plan["templates"][:rows], size)
        with torch.no_grad():
            model = generator.swap(sources.to(context.device), templates.to(context.device)).float().cpu()
        images = {"source": sources, "template": templates, "compositor": ClassicalCompositor().swap(sources, templates),
                  "model": model}
        path = context.run_dir / "grids" / f"stage{context.stage_number:02d}-judge-{generator.output_resolution}px.png"
        return save_grid(path, images, cell=128, columns=tuple(images),
                         title="held-out people: source | template | classical compositor | model")

    def _distractors(self, context: RunContext, subset: Any, identity_groups: Any) -> Any:
        if self.distractors == 0:
            return None
        samples = context.get(Samples)
        people = list(identity_groups(context.data, training_indices(context, samples.held_out if samples else 0.1))
                      .values())
        count = min(self.distractors, len(people))
        chosen = np.random.default_rng(context.recipe.seed).choice(len(people), count, replace=False)
        return subset(context.data, [index for person in sorted(chosen) for index in people[person]])


def _model_info(recipe: Any) -> dict[str, Any]:
    """What :mod:`zoo_inference.judges` reads from a model folder's info: the conditioning encoder's name."""
    generator = recipe.model.get("generator")
    identity = generator.args.get("identity") if generator is not None else None
    return {"identity": getattr(identity, "name", identity)}


def judged_metrics(comparison: dict[str, dict[str, dict[str, Any]]]) -> dict[str, float]:
    """Flat card metrics: each judged metric for the model with its interval, then each baseline's mean."""
    flat: dict[str, float] = {}
    for metric, by_swapper in comparison.items():
        model = by_swapper["model"]
        values = {metric: model["mean"], f"{metric}_low": model["low"], f"{metric}_high": model["high"],
                  **{f"{metric}_{baseline}": by_swapper[baseline]["mean"] for baseline in _BASELINES}}
        flat |= {key: round(float(value), 4) for key, value in values.items() if value is not None}
    return flat
