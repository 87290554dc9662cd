"""The picture a person looks at: rows of source | template | result | label."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from zoo.resize import resize

__all__ = ["save_grid"]

COLUMNS = ("source", "template", "result", "label")


def save_grid(path: Path, rows: dict[str, torch.Tensor], cell: int = 96, title: str = "",
              columns: tuple[str, ...] = COLUMNS) -> Path:
    """``rows[column]`` are N×3×H×W in [0, 1], one column each of ``columns``; every image is resized to ``cell`` pixels."""
    count = min(len(rows[c]) for c in columns)
    header = 16
    canvas = Image.new("RGB", (cell * len(columns), header + cell * count), (24, 24, 24))
    draw = ImageDraw.Draw(canvas)
    for column, name in enumerate(columns):
        draw.text((column * cell + 4, 2), name, fill=(230, 230, 230))
        images = resize(rows[name][:count].float().cpu(), cell)
        for row, image in enumerate(images):
            pixels = (image.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            canvas.paste(Image.fromarray(pixels), (column * cell, header + row * cell))
    if title:
        draw.text((4, canvas.height - 12), title, fill=(255, 255, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    return path
