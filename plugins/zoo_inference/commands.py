"""``zoo swap`` and ``zoo eval``: thin click layers over :mod:`zoo_inference.swap` and ``.evaluate``.

Only click and yaml are imported here; torch and the face pipeline load inside the command bodies
so that ``zoo --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from zoo.errors import ZooError

__all__ = ["parse_component_args", "swap_command"]


def parse_component_args(pairs: tuple[str, ...], option: str) -> dict[str, Any]:
    """``("body=mobilenet0.25", "max_size=640")`` → ``{"body": "mobilenet0.25", "max_size": 640}`` (YAML values)."""
    args: dict[str, Any] = {}
    for text in pairs:
        key, sep, raw = text.partition("=")
        if not sep or not key.strip():
            raise ZooError(f"{option} {text!r} must look like key=value (e.g. {option} body=mobilenet0.25)")
        try:
            args[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            raise ZooError(f"{option} {text!r}: value is not valid YAML") from None
    return args


@click.command("swap")
@click.option("--model", "-m", required=True, help="Model folder or Hub repo id (org/name).")
@click.option("--revision", default=None, help="Hub revision (branch, tag or commit) of --model.")
@click.option("--source", "-s", required=True, type=click.Path(path_type=Path),
              help="Photo whose face (the largest) gives the identity.")
@click.option("--target", "-t", required=True, type=click.Path(path_type=Path),
              help="Photo to change, or a folder of photos.")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="Output image (or folder, when --target is a folder).")
@click.option("--face-index", type=click.IntRange(min=0), default=None,
              help="Which target face to replace (0 = best detection score).")
@click.option("--all-faces", is_flag=True, help="Replace every face in the target.")
@click.option("--detector", default="retinaface", show_default=True, help="Registered detector name.")
@click.option("--detector-arg", "-a", "detector_args", multiple=True, metavar="KEY=VALUE",
              help="Detector argument, e.g. -a body=mobilenet0.25 -a weights=retina.safetensors.")
@click.option("--compare", is_flag=True, help="Also write <name>_compare.png: source | target | result.")
@click.option("--device", default="cpu", show_default=True, help="torch device for the generator.")
def swap_command(
    model: str,
    revision: str | None,
    source: Path,
    target: Path,
    output: Path,
    face_index: int | None,
    all_faces: bool,
    detector: str,
    detector_args: tuple[str, ...],
    compare: bool,
    device: str,
) -> None:
    """Put the source photo's face identity into the target photo(s), keeping pose, expression and light."""
    if face_index is not None and all_faces:
        raise ZooError("use either --face-index or --all-faces, not both")
    from zoo_inference.swap import load_swapper, swap_files

    parsed = parse_component_args(detector_args, "-a")
    swapper = load_swapper(model, detector, parsed, revision=revision, device=device)
    skipped: list[Path] = []

    def report_skip(path: Path, error: ZooError) -> None:
        skipped.append(path)
        click.echo(f"skipped: {error}", err=True)

    written = swap_files(swapper, source, target, output, face_index, all_faces, compare,
                         on_skip=report_skip if target.is_dir() else None)
    for path in written:
        click.echo(str(path))
    if skipped:
        raise ZooError(f"{len(skipped)} photo(s) in {target} could not be swapped (see above)")
