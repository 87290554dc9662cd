"""``zoo detect``: run any registered detector on photos; print or draw what it found."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zoo.assignments import parse_assignments
from zoo.command_options import check_device, detector_arg_option, detector_arguments, detector_on_device, device_option
from zoo.progress import Progress
from zoo_faces.defaults import DEFAULT_DETECTOR, DEFAULT_QUALITY

__all__ = ["detect_command"]


def _draw_path(draw: Path, image: Path, count: int) -> Path:
    """One picture per image: OUT.png for one image, OUT-<image stem>.png for several (PNG if OUT has no suffix)."""
    if not draw.suffix:
        draw = draw.with_suffix(".png")
    return draw if count == 1 else draw.with_name(f"{draw.stem}-{image.stem}{draw.suffix}")


def _check_draw_paths(draw: Path, images: tuple[Path, ...], force: bool) -> None:
    """Every picture --draw will write is checked before detecting: never an input, never a silent overwrite."""
    from zoo.outputs import OutputError, check_output_file, same_path

    from zoo_faces.image import check_image_name

    if draw.is_dir():
        raise OutputError(f"--draw {draw} is a folder: give a picture file name (e.g. {draw / 'boxes.png'})")
    inputs = [("input image", image) for image in images]
    seen: dict[Path, Path] = {}
    for image in images:
        path = _draw_path(draw, image, len(images))
        if path in seen and not same_path(seen[path], image):  # one image named twice draws one picture
            raise OutputError(f"--draw: {seen[path]} and {image} would both be drawn to {path}: rename one of them")
        seen[path] = image
        check_output_file(path, inputs, force=force, what=f"--draw {path}")
        check_image_name(path, f"--draw {path}")


@click.command("detect")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--detector", "detector_name", default=DEFAULT_DETECTOR, show_default=True,
              help="A registered detector (`zoo list detector`).")
@detector_arg_option
@device_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one entry per image with its faces.")
@click.option("--draw", type=click.Path(path_type=Path),
              help="Write the picture with numbered boxes and colour-coded landmarks "
                   "(several images: OUT-<name>.png each).")
@click.option("--quality", type=click.IntRange(1, 100), default=DEFAULT_QUALITY, show_default=True,
              help="JPEG/WebP quality of --draw pictures (PNG is lossless).")
@click.option("--force", is_flag=True, help="Overwrite existing --draw pictures (input images never are).")
def detect_command(images: tuple[Path, ...], detector_name: str, detector_args: tuple[str, ...],
                   old_detector_args: tuple[str, ...], device: str, as_json: bool, draw: Path | None,
                   quality: int, force: bool) -> None:
    """Find faces (boxes, scores, 5 landmarks) in IMAGE... with a registered detector."""
    args = detector_arguments(detector_args, old_detector_args, "detect")
    if draw is not None:
        _check_draw_paths(draw, images, force)
    check_device(device)
    import zoo
    from zoo_faces.draw import LANDMARK_COLOURS, draw_detections
    from zoo_faces.image import load_image, save_image

    arguments = detector_on_device(detector_name, parse_assignments(args, "-a"), device)
    detector = zoo.build("detector", detector_name, **arguments)
    pictures, found = [], []
    with Progress("detect", len(images), unit="image", enabled=len(images) > 1) as progress:
        for path in images:
            pictures.append(load_image(path))
            found.extend(detector.detect(pictures[-1:]))
            progress.update(faces=sum(len(faces) for faces in found))
    if draw is not None:
        for path, picture, faces in zip(images, pictures, found):
            save_image(_draw_path(draw, path, len(images)), draw_detections(picture, faces), quality=quality, like=path)
    if as_json:
        payload = [
            {"image": str(path), "width": picture.shape[1], "height": picture.shape[0], "faces": faces.to_list()}
            for path, picture, faces in zip(images, pictures, found)
        ]
        click.echo(json.dumps(payload, indent=2))
        return
    for path, faces in zip(images, found):
        click.echo(f"{path}: {len(faces)} face{'s' if len(faces) != 1 else ''}")
        for number, face in enumerate(faces.to_list()):
            points = " ".join(f"({x:.1f},{y:.1f})" for x, y in face["landmarks"])
            box = ", ".join(f"{v:.1f}" for v in face["box"])
            click.echo(f"  {number}: score {face['score']:.3f}  box [{box}]  landmarks {points}")
    if draw is not None:
        legend = ", ".join(f"{name} {colour}" for name, colour in
                           zip(("left eye", "right eye", "nose", "left mouth", "right mouth"), LANDMARK_COLOURS))
        click.echo(f"drew {draw if len(images) == 1 else _draw_path(draw, Path('<image>'), 2)} "
                   f"(landmark colours RGB: {legend})", err=True)
