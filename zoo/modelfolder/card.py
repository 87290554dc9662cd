"""The README.md model card: Hub metadata plus parts, stages, metrics, samples and provenance.

What the model *is* (a face-swap generator, a segmenter …) is said by whoever exports it — the
intro paragraph and extra tags come from the caller (the curriculum's ``export`` stage); the core
only knows parts, tensors and files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from zoo.modelfolder.layout import CONFIG_NAME, LIBRARY_NAME, RECIPE_NAME, SAMPLE_GRID_NAME
from zoo.responsible_use import card_section

if TYPE_CHECKING:
    from torch import nn

__all__ = ["GENERIC_INTRO", "render_card"]

GENERIC_INTRO = 'A model made with faceswap-zoo. Load it in Python with `zoo.from_pretrained("<repo or folder>")`.'

#: Metric names that are an interval bound or a baseline's score, not the model's result: the card's
#: table shows them beside the model's, the Hub's model-index leaves them out.
_NOT_THE_MODELS = ("_low", "_high", "_template", "_source", "_compositor")

_CARD_INFO_SKIPPED = ("name", "stages", "metrics", "weights_sources", "training_data")


def render_card(
    title: str,
    config: Mapping[str, Any],
    parts: Mapping[str, nn.Module],
    has_grid: bool,
    has_recipe: bool,
    license: str,  # noqa: A002 - the Hub's metadata key
    intro: str | None = None,
    tags: Sequence[str] = (),
) -> str:
    """The README.md model card: Hub metadata (YAML) plus parts, stages, metrics, samples, provenance."""
    from huggingface_hub import ModelCard, ModelCardData

    info = config["info"]
    names = sorted({spec["name"] for spec in config["parts"].values()})
    name = str(info.get("name") or title)
    data = ModelCardData(library_name=LIBRARY_NAME, license=license, tags=[*tags, LIBRARY_NAME, *names],
                         model_name=name, eval_results=_eval_results(info) or None)
    lines = [
        f"# {name}",
        "",
        intro or GENERIC_INTRO,
        "",
        "## Parts",
        "",
        _table(
            ("part", "backbone", "file", "parameters"),
            [
                (part, spec["name"], spec["file"], f"{sum(p.numel() for p in parts[part].parameters()):,}")
                for part, spec in config["parts"].items()
            ],
        ),
    ]
    details = [(key, _cell_value(value)) for key, value in info.items() if key not in _CARD_INFO_SKIPPED]
    if details:
        lines += ["", "## Details", "", _table(("key", "value"), details)]
    stages = info.get("stages")
    if isinstance(stages, list) and stages:
        rows = [stage if isinstance(stage, Mapping) else {"stage": stage} for stage in stages]
        columns = list(dict.fromkeys(key for row in rows for key in row))
        lines += ["", "## Stages trained", "", _table(("#", *columns), [
            (str(i), *(_cell_value(row.get(column, "")) for column in columns)) for i, row in enumerate(rows, 1)
        ])]
    metrics = info.get("metrics")
    if isinstance(metrics, Mapping) and metrics:
        lines += ["", "## Metrics", "", _table(("metric", "value"), [(k, _cell_value(v)) for k, v in metrics.items()])]
    if has_grid:
        lines += ["", "## Samples", "", f"![sample grid]({SAMPLE_GRID_NAME})"]
    sources = info.get("weights_sources")
    if sources:
        lines += [
            "",
            "## Weights provenance",
            "",
            "Pretrained weights these parts started from; their tensors are stored in this folder.",
            "",
            _table(("argument", "source"), [(key, _cell_value(value)) for key, value in sources.items()]),
        ]
    files = [f"`{CONFIG_NAME}` (parts, build arguments, format version)"]
    files += [f"`{spec['file']}` ({part})" for part, spec in config["parts"].items()]
    if has_recipe:
        files.append(f"`{RECIPE_NAME}` (the recipe that trained it)")
    lines += ["", *card_section(info)]
    lines += ["", "## Files", "", *(f"- {entry}" for entry in files), ""]
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines)))


def _eval_results(info: Mapping[str, Any]) -> list[Any]:
    """The card's metrics as Hub ``model-index`` results, so the Hub shows and compares them."""
    from huggingface_hub import EvalResult

    metrics = info.get("metrics")
    if not isinstance(metrics, Mapping):
        return []
    training = info.get("training_data")
    dataset = training.get("dataset") if isinstance(training, Mapping) else None
    return [EvalResult(task_type="image-to-image", dataset_type=str(dataset or "unknown"),
                       dataset_name=f"{dataset or 'training data'}: held-out people", metric_type=key, metric_value=value)
            for key, value in metrics.items()
            if isinstance(value, int | float) and not isinstance(value, bool) and not key.endswith(_NOT_THE_MODELS)]


def _cell_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=False)


def _table(header: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(out)
