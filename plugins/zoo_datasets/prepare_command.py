"""``zoo prepare SRC OUT --size N``: a thin CLI over :func:`zoo_datasets.prepare.prepare_folder`."""

from __future__ import annotations

from pathlib import Path

import click

from zoo.command_options import check_device, detector_arg_option, detector_arguments, detector_on_device, device_option
from zoo_faces.defaults import DEFAULT_DETECTOR, MAX_CROP_SIZE

__all__ = ["prepare_command"]


@click.command("prepare")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--size", type=click.IntRange(min=8, max=MAX_CROP_SIZE), required=True,
              help="Side of the aligned crops in pixels.")
@click.option("--detector", "detector_name", default=DEFAULT_DETECTOR, show_default=True,
              help="A registered detector (`zoo list detector`).")
@detector_arg_option
@device_option
@click.option("--faces", type=click.Choice(["largest", "all"]), default="largest", show_default=True,
              help="Keep the largest face of each photo, or every face.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
def prepare_command(source: Path, output: Path, size: int, detector_name: str, detector_args: tuple[str, ...],
                    old_detector_args: tuple[str, ...], device: str, faces: str, no_progress: bool) -> None:
    """Detect, align and cache the faces of the photos in SOURCE into OUTPUT (resumable).

    Photos in SOURCE/<name>/ are person <name>; photos directly in SOURCE are one person each.
    Unreadable files and photos without a face are skipped and listed in OUTPUT/report.tsv.
    """
    import zoo
    from zoo_datasets.prepare import prepare_folder
    from zoo.assignments import parse_assignments

    parsed = parse_assignments(detector_arguments(detector_args, old_detector_args, "prepare"), "-a")
    zoo.get_spec("detector", detector_name).validate(parsed)  # bad arguments fail before any work
    check_device(device)
    parsed = detector_on_device(detector_name, parsed, device)

    def detector() -> object:
        return zoo.build("detector", detector_name, **parsed)

    report = prepare_folder(source, output, size=size, detector=detector, faces=faces, progress=not no_progress)  # type: ignore[arg-type]
    click.echo(report.summary(), err=True)
