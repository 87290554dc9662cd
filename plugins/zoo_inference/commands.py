"""``zoo swap`` and ``zoo eval``: thin click layers over :mod:`zoo_inference.swap` and ``.evaluate``.

Only click is imported here; torch and the face pipeline load inside the command bodies
so that ``zoo --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from zoo.assignments import parse_assignments
from zoo.command_options import DEVICE_HELP, check_device, detector_on_device, device_option
from zoo.errors import PartialSuccess, ZooError
from zoo_faces.defaults import DEFAULT_DETECTOR, DEFAULT_JUDGE
from zoo_inference.paste_options import check_boost_factor, default_mask, paste_options
from zoo_video.options import SwapExtras, swap_options

__all__ = ["eval_command", "swap_command"]


@click.command("swap")
@click.option("--model", "-m", required=True, help="Model folder or Hub repo id (org/name).")
@click.option("--revision", default=None, help="Hub revision (branch, tag or commit) of --model.")
@click.option("--source", "-s", "sources", required=True, multiple=True, type=click.Path(path_type=Path),
              help="Photo whose face (the largest) gives the identity; repeat -s, or name a folder, to average "
                   "several photos of the person into one identity.")
@click.option("--target", "-t", required=True, type=click.Path(path_type=Path),
              help="Photo or video to change, or a folder of photos.")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="Output image or video (or folder, when --target is a folder).")
@click.option("--face-index", type=click.IntRange(min=0), default=None,
              help="Which target face to replace (0 = best detection score).")
@click.option("--all-faces", is_flag=True, help="Replace every face in the target.")
@click.option("--detector", default=DEFAULT_DETECTOR, show_default=True, help="Registered detector name.")
@click.option("--detector-arg", "-a", "detector_args", multiple=True, metavar="KEY=VALUE",
              help="Detector argument, e.g. -a body=mobilenet0.25 -a weights=retina.safetensors.")
@click.option("--compare", is_flag=True, help="Also write <name>_compare.png: source | target | result.")
@click.option("--device", default="cpu", show_default=True, help=DEVICE_HELP)
@click.option("--mask", "mask", default=None, metavar="KINDS",
              help="Masks intersected where the face is replaced: box, hull, contour, region, occlusion, generator "
                   "(e.g. occlusion,contour). Default: the 5-point hull.")
@click.option("--mask-regions", default=None, metavar="REGIONS",
              help="68-point areas to include or (prefix -) exclude: contour, upper_face, lower_face, mouth, eyes "
                   "(e.g. -mouth keeps the target's own mouth).")
@click.option("--mask-padding", type=float, default=None,
              help="Grow (+) or shrink (-) the mask by this fraction of the face crop (default 0).")
@click.option("--mask-blur", type=float, default=None,
              help="Feather the mask edge inward over this fraction of the face crop (default 0.08).")
@click.option("--mask-model", default=None, help="Segmenter model folder for --mask occlusion (recipes/occlusion_mask.yaml).")
@click.option("--debug-masks", type=click.Path(path_type=Path), default=None,
              help="Also write the masks drawn over the target here (a folder for a target folder).")
@click.option("--json", "as_json", is_flag=True, help='Print {"written": [...], "skipped": [...]} on stdout.')
@paste_options
@swap_options
def swap_command(
    model: str,
    revision: str | None,
    sources: tuple[Path, ...],
    target: Path,
    output: Path,
    face_index: int | None,
    all_faces: bool,
    detector: str,
    detector_args: tuple[str, ...],
    compare: bool,
    device: str,
    mask: str | None,
    mask_regions: str | None,
    mask_padding: float | None,
    mask_blur: float | None,
    mask_model: str | None,
    debug_masks: Path | None,
    as_json: bool,
    color_match: str,
    pixel_boost: int,
    **extra_options: Any,
) -> None:
    """Put the source photo's face identity into the target photo(s) or video, keeping pose, expression and light."""
    if face_index is not None and all_faces:
        raise ZooError("use either --face-index or --all-faces, not both")
    check_boost_factor(pixel_boost)
    source = list(sources)
    extras = SwapExtras(**extra_options)
    from zoo_inference.swap import load_swapper, plan_swap_outputs, swap_files

    is_video = extras.is_video(target)  # inputs first: `-o clip.mp4` over the clip is refused, not offered --force
    plan_swap_outputs(source, target, output, compare and not is_video, extras.force, video=is_video)
    video = extras.check(target, output, compare)  # before loading anything: refusals cost nothing
    from zoo_inference.sources import expand_sources

    expand_sources(source)
    check_device(device)
    parsed = detector_on_device(detector, parse_assignments(detector_args, "-a"), device)
    options = None
    if any(value is not None for value in (mask, mask_regions, mask_padding, mask_blur, mask_model, debug_masks)):
        from zoo_masks.compose import MaskOptions

        options = MaskOptions.parse(mask or "hull", mask_regions, mask_padding, mask_blur)  # bad values fail before loading
    swapper = load_swapper(model, detector, parsed, revision=revision, device=device)
    from zoo_inference.pixel_boost import check_pixel_boost

    check_pixel_boost(pixel_boost, swapper.input_resolution, swapper.output_resolution)
    swapper.color_match, swapper.pixel_boost = color_match, pixel_boost
    own_mask = default_mask(swapper.generator) if options is None else None
    if own_mask is not None:  # the model predicts where its face is: that drives the blend
        from zoo_masks.compose import MaskOptions

        options = MaskOptions.parse(own_mask)
    if options is not None:
        from zoo_masks.loading import load_masker

        swapper.masker = load_masker(options, mask_model, swapper.generator, device)
    if video:
        written_video = extras.swap_video(swapper, model, revision, source, target, output, face_index, all_faces)
        click.echo(json.dumps({"written": [str(written_video)], "skipped": []}) if as_json else written_video)
        return
    select_faces = extras.photo_filter(swapper, model, revision)
    skipped: list[Path] = []

    def report_skip(path: Path, error: ZooError) -> None:
        skipped.append(path)
        click.echo(f"skipped: {error}", err=True)

    written = swap_files(swapper, source, target, output, face_index, all_faces, compare,
                         on_skip=report_skip if target.is_dir() else None, debug_masks=debug_masks,
                         select_faces=select_faces, force=extras.force, quality=extras.photo_quality)
    if as_json:
        click.echo(json.dumps({"written": [str(path) for path in written], "skipped": [str(path) for path in skipped]}))
    else:
        for path in written:
            click.echo(str(path))
    if skipped:
        raise PartialSuccess(f"{len(skipped)} photo(s) in {target} could not be swapped (see above)")


@click.command("eval")
@click.option("--model", "-m", required=True, help="Model folder or Hub repo id (org/name).")
@click.option("--revision", default=None, help="Hub revision (branch, tag or commit) of --model.")
@click.option("--data", "-d", "data", required=True,
              help="Folder of aligned faces, one subfolder per identity, or a registered dataset (e.g. synthfaces).")
@click.option("--data-arg", "data_args", multiple=True, metavar="KEY=VALUE",
              help="Dataset argument, e.g. --data-arg identities=16 (see `zoo info synthfaces`).")
@click.option("--judge", default=DEFAULT_JUDGE, show_default=True,
              help="Registered identity encoder that judges (independent only if the model never used it).")
@click.option("--judge-arg", "-j", "judge_args", multiple=True, metavar="KEY=VALUE",
              help="Judge argument, e.g. -j weights=mobilefacenet_casia.safetensors.")
@click.option("--detector", default=DEFAULT_DETECTOR, show_default=True,
              help="Registered detector for the landmark distance.")
@click.option("--detector-arg", "-a", "detector_args", multiple=True, metavar="KEY=VALUE",
              help="Detector argument, e.g. -a body=mobilenet0.25 -a weights=retina.safetensors.")
@click.option("--distractors", default=None,
              help="Aligned faces of other people (folder, one subfolder each, or a dataset) added to the gallery.")
@click.option("--pairs", type=click.IntRange(min=1), default=64, show_default=True,
              help="(source, template) pairs of different identities.")
@click.option("--seed", type=int, default=0, show_default=True, help="Which pairs are drawn.")
@click.option("--output", "-o", "json_path", type=click.Path(path_type=Path), default=None,
              help="Also write the report as JSON to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout instead of the table.")
@click.option("--force", is_flag=True, help="Overwrite an existing -o file (inputs never are).")
@device_option
def eval_command(
    model: str,
    revision: str | None,
    data: str,
    data_args: tuple[str, ...],
    judge: str,
    judge_args: tuple[str, ...],
    detector: str,
    detector_args: tuple[str, ...],
    distractors: str | None,
    pairs: int,
    seed: int,
    json_path: Path | None,
    as_json: bool,
    force: bool,
    device: str,
) -> None:
    """Measure a model: identity (by an independent judge), pose/expression kept, pixels vs ground truth."""
    if json_path is not None:
        from zoo.outputs import check_output_file

        inputs = [(label, Path(path)) for label, path in (("model folder", model), ("data folder", data),
                                                          ("distractors folder", distractors))
                  if path is not None and Path(path).exists()]
        check_output_file(json_path.expanduser(), inputs, force=force, what=f"-o {json_path}")
    check_device(device)
    import zoo

    result = zoo.evaluate(model, data, revision=revision, data_args=parse_assignments(data_args, "--data-arg"),
                          judge=judge, judge_args=parse_assignments(judge_args, "-j"), detector=detector,
                          detector_args=parse_assignments(detector_args, "-a"), distractors=distractors,
                          pairs=pairs, seed=seed, device=device)
    click.echo(json.dumps(result.to_json(), indent=2) if as_json else result.table())
    if json_path is not None:
        from zoo.atomic import write_atomic

        write_atomic(json_path.expanduser(), (json.dumps(result.to_json(), indent=2) + "\n").encode())
