"""Training curves as a PNG with PIL alone (matplotlib is no dependency of the zoo).

One panel per metric: a line per run, a dashed horizontal line per baseline, axes with ticks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Panel", "save_panels"]

RUN_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e")
BASELINE_COLOURS = ("#7f7f7f", "#bcbd22", "#17becf", "#8c564b")
_W, _H, _MARGIN = 440, 300, 52


@dataclass
class Panel:
    """One metric: ``runs`` name → [(x, y)], ``baselines`` name → y, drawn against ``x_label``."""

    title: str
    x_label: str
    runs: dict[str, list[tuple[float, float]]]
    baselines: dict[str, float] = field(default_factory=dict)


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _draw(draw, panel: Panel, left: int, top: int) -> None:
    xs = _finite([x for points in panel.runs.values() for x, _ in points]) or [0.0, 1.0]
    ys = _finite([y for points in panel.runs.values() for _, y in points] + list(panel.baselines.values())) or [0.0, 1.0]
    x_max = max(xs) or 1.0
    y_min, y_max = min(ys), max(ys)
    pad = (y_max - y_min) * 0.08 or abs(y_max) * 0.1 or 0.1
    y_min, y_max = y_min - pad, y_max + pad
    x0, y0, x1, y1 = left + _MARGIN, top + 28, left + _W - 12, top + _H - 34

    def at(x: float, y: float) -> tuple[float, float]:
        return x0 + (x1 - x0) * x / x_max, y1 - (y1 - y0) * (y - y_min) / (y_max - y_min)

    draw.text((left + 8, top + 8), panel.title, fill="black")
    draw.rectangle([x0, y0, x1, y1], outline="black")
    for fraction in (0, 0.5, 1):
        x, _ = at(x_max * fraction, y_min)
        draw.text((x - 10, y1 + 6), f"{x_max * fraction:.0f}", fill="black")
        value = y_min + (y_max - y_min) * fraction
        _, y = at(0, value)
        draw.text((left + 4, y - 6), f"{value:.3g}", fill="black")
    draw.text(((x0 + x1) / 2 - 30, y1 + 18), panel.x_label, fill="black")
    legend = 0
    for (name, value), colour in zip(panel.baselines.items(), BASELINE_COLOURS):
        if value is None or not math.isfinite(value):
            continue
        _, y = at(0, value)
        for x in range(int(x0), int(x1), 10):
            draw.line([x, y, min(x + 5, x1), y], fill=colour, width=1)
        draw.text((x1 - 130, y0 + 4 + 12 * legend), f"-- {name}", fill=colour)
        legend += 1
    for (name, points), colour in zip(panel.runs.items(), RUN_COLOURS):
        shown = [at(x, y) for x, y in points if y is not None and math.isfinite(y)]
        if len(shown) > 1:
            draw.line(shown, fill=colour, width=2)
        for x, y in shown:
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
        draw.text((x0 + 6, y0 + 4 + 12 * legend), name, fill=colour)
        legend += 1


def save_panels(panels: list[Panel], path: Path, title: str, columns: int = 3) -> None:
    """All panels in a grid under one title line, saved as a PNG (palette, so it stays small)."""
    from PIL import Image, ImageDraw

    rows = math.ceil(len(panels) / columns)
    image = Image.new("RGB", (_W * min(columns, len(panels)), _H * rows + 24), "white")
    draw = ImageDraw.Draw(image)
    draw.text((8, 6), title, fill="black")
    for k, panel in enumerate(panels):
        _draw(draw, panel, _W * (k % columns), 24 + _H * (k // columns))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=64).save(path, optimize=True)
