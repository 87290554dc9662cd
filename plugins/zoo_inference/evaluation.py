"""``zoo.evaluate``: measure a model folder end to end — the API ``zoo eval`` only parses flags for.

Loads the model (folder or Hub repo), the judge, the data and the detectors by their registered
names, runs :func:`zoo_inference.evaluate.evaluate_swaps`, and says how independent the judge is of
what the model was trained with. The report is returned; printing and files are the caller's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo_faces.defaults import DEFAULT_DETECTOR, DEFAULT_JUDGE
from zoo_inference.evaluate import EvalResult

__all__ = ["evaluate_model"]


def evaluate_model(
    model: str | Path,
    data: str | Path,
    *,
    revision: str | None = None,
    data_args: dict[str, Any] | None = None,
    judge: str = DEFAULT_JUDGE,
    judge_args: dict[str, Any] | None = None,
    detector: str = DEFAULT_DETECTOR,
    detector_args: dict[str, Any] | None = None,
    distractors: str | Path | None = None,
    pairs: int = 64,
    seed: int = 0,
    device: str = "cpu",
) -> EvalResult:
    """Identity (by an independent judge), pose/expression kept and pixels vs ground truth, with intervals.

    ``data``/``distractors`` are folders of aligned faces (one subfolder per identity) or registered
    datasets; ``judge`` an identity encoder; ``detector`` gives the 5-point landmark distance (and the
    68-point one when it has ``detect_68``, else the default detector does). ``device`` runs the
    generator, the judge and a detector that takes one there (dlib stays on the CPU).
    """
    import zoo
    from zoo.command_options import detector_on_device
    from zoo.errors import ZooError
    from zoo.recipe.resources import device_problem
    from zoo_inference.evaluate import evaluate_swaps, load_eval_dataset
    from zoo_inference.judges import build_judge, describe_judge_overlap, judge_independence, read_recipe

    problem = device_problem(device)
    if problem:
        raise ZooError(f"device {problem}")
    folder = zoo.from_pretrained(model, revision=revision)
    judge_model = build_judge(judge, dict(judge_args or {})).to(device)
    dataset = load_eval_dataset(data, dict(data_args or {}))
    others = load_eval_dataset(distractors, option="--distractors") if distractors is not None else None
    built = zoo.build("detector", detector, **detector_on_device(detector, dict(detector_args or {}), device))
    landmarker = built if hasattr(built, "detect_68") else zoo.build("detector", DEFAULT_DETECTOR)
    result = evaluate_swaps(folder.parts["generator"].to(device), dataset, judge_model, pairs=pairs, detector=built.detect,
                            seed=seed, landmarker=landmarker.detect_68, distractors=others)
    recipe = read_recipe(folder.path)
    result.headline = f"{judge_independence(folder.info, judge, recipe)}; mean [95% bootstrap interval] over pairs"
    overlap = describe_judge_overlap(folder.info, judge, recipe)
    if overlap:
        result.notes.append(overlap)
    result.details = {"model": str(model), "data": str(data), "judge": judge, "judge_line": result.headline,
                      "detector": detector, "distractors": None if distractors is None else str(distractors),
                      "seed": seed, **result.details}
    return result
