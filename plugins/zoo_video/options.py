"""The video, reference and runtime options of ``zoo swap``, and what they do before the swap.

Kept here, not in ``zoo_inference.commands``, so the photo command stays as it was and this
plugin owns its options. Only click is imported at module level: ``zoo --help`` stays fast.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from zoo.errors import ZooError
from zoo_faces.defaults import DEFAULT_QUALITY, LOSSY_SUFFIXES

__all__ = ["SwapExtras", "export_command", "swap_options"]

class _FiniteRange(click.FloatRange):
    """click's FloatRange lets ``nan`` through (every comparison with it is false) and ``inf`` past a minimum."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


_VIDEO_ONLY = ("codec", "crf", "start", "end", "keyframe_interval", "batch_size", "no_smoothing")
_OPTIONS = [
    click.option("--reference", type=click.Path(path_type=Path), default=None,
                 help="Photo of the person to replace: only faces of that person are swapped (photos and videos)."),
    click.option("--identity", default=None,
                 help="Registered identity encoder for --reference and re-identification [default: dlib_resnet]."),
    click.option("--identity-arg", "-i", "identity_args", multiple=True, metavar="KEY=VALUE",
                 help="Identity encoder argument, e.g. -i weights=mobilefacenet_casia.safetensors."),
    click.option("--match-threshold", type=_FiniteRange(-1.0, 1.0), default=None,
                 help="Cosine similarity at which a face is the reference person [default: measured per encoder]."),
    click.option("--runtime", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
                 help="Run the generator eagerly in PyTorch or through ONNX Runtime (zoo export --onnx first)."),
    click.option("--codec", default=None, help="Video encoder [default: libx264; libvpx-vp9 for .webm]."),
    click.option("--quality", type=click.IntRange(1, 100), default=None,
                 help=f"Photo outputs: JPEG/WebP quality, higher is better [default: {DEFAULT_QUALITY}]; "
                      "PNG is lossless and ignores it."),
    click.option("--crf", type=click.IntRange(0, 63), default=None,
                 help="Video: constant rate factor, lower is better [default: 18 for libx264]."),
    click.option("--start", type=_FiniteRange(min=0.0), default=0.0, help="Video: first second to process."),
    click.option("--end", type=_FiniteRange(min=0.0), default=None, help="Video: second to stop at."),
    click.option("--force", is_flag=True, help="Overwrite existing output files (inputs are never overwritten)."),
    click.option("--keyframe-interval", type=click.IntRange(min=1), default=10, show_default=True,
                 help="Video: run the detector every N frames (and whenever a face is lost); lower it when people "
                      "often enter the picture."),
    click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
                 help="Video: frames whose faces go through the generator together."),
    click.option("--no-smoothing", is_flag=True, help="Video: do not smooth the landmarks over time."),
]


def swap_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds this plugin's options to ``zoo swap``; the command passes them on as ``**extras``."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@dataclass
class SwapExtras:
    """What the extra options ask for, checked before the model loads."""

    reference: Path | None = None
    identity: str | None = None
    identity_args: tuple[str, ...] = ()
    match_threshold: float | None = None
    runtime: str = "torch"
    codec: str | None = None
    quality: int | None = None
    crf: int | None = None
    start: float = 0.0
    end: float | None = None
    force: bool = False
    keyframe_interval: int = 10
    batch_size: int = 8
    no_smoothing: bool = False

    def is_video(self, target: Path) -> bool:
        from zoo_video.targets import is_video_target

        return is_video_target(target)

    def check(self, target: Path, output: Path, compare: bool) -> bool:
        """True when ``target`` is a video; refuses bad combinations and unwritable outputs early."""
        if self.reference is not None and not self.reference.is_file():
            why = "not a regular file (a FIFO, socket or device)" if self.reference.exists() else "no such file"
            raise ZooError(f"--reference {self.reference}: {why}")
        if not self.is_video(target):
            given = [name for name in _VIDEO_ONLY if getattr(self, name) != SwapExtras.__dataclass_fields__[name].default]
            if given:
                raise ZooError(f"--{given[0].replace('_', '-')} applies to video targets; {target} is a photo")
            self._check_photo_quality(target, output)
            return False
        self._read_old_video_quality()
        if compare:
            raise ZooError("--compare applies to photos; for a video, look at the output itself")
        from zoo_video.writer import check_output

        check_output(output, self.force)
        return True

    @property
    def photo_quality(self) -> int:
        return DEFAULT_QUALITY if self.quality is None else self.quality

    def _check_photo_quality(self, target: Path, output: Path) -> None:
        """A target folder writes PNGs, and so does ``-o out.png``: --quality is then said to do nothing."""
        if self.quality is not None and (target.is_dir() or output.suffix.lower() not in LOSSY_SUFFIXES):
            written = f"{output} gets PNGs" if target.is_dir() else f"{output} is written losslessly"
            warnings.warn(f"--quality applies to JPEG and WebP outputs; {written}: --quality ignored", stacklevel=2)

    def _read_old_video_quality(self) -> None:
        """``--quality`` was the video CRF (lower is better) before it meant photo quality (higher is better)."""
        if self.quality is None:
            return
        if self.crf is not None:
            raise ZooError("--quality is the photo quality; for a video give --crf only")
        warnings.warn(f"'--quality {self.quality}' on a video is deprecated and read as '--crf {self.quality}' "
                      "until faceswap-zoo 0.3: write --crf (--quality is the photo quality, higher is better)",
                      FutureWarning, stacklevel=2)
        self.crf, self.quality = self.quality, None

    def swap_video(self, swapper: Any, model: str, revision: str | None, source: Path | list[Path], target: Path,
                   output: Path, face_index: int | None, all_faces: bool) -> str:
        from zoo_video.targets import swap_video_file

        return swap_video_file(self, swapper, model, revision, source, target, output, face_index, all_faces)

    def photo_filter(self, swapper: Any, model: str, revision: str | None) -> Any:
        """The --reference face filter for photos (None without --reference); applies --runtime too."""
        from zoo_video.targets import prepare_swapper, reference_filter

        prepare_swapper(self, swapper, model, revision)
        return reference_filter(self, swapper) if self.reference is not None else None


@click.command("export")
@click.argument("model")
@click.option("--onnx", "as_onnx", is_flag=True, help="Write model.onnx next to model.safetensors.")
@click.option("--revision", default=None, help="Hub revision (branch, tag or commit) of MODEL.")
@click.option("--force", is_flag=True, help="Replace an existing model.onnx.")
def export_command(model: str, as_onnx: bool, revision: str | None, force: bool) -> None:
    """Export MODEL's generator: --onnx writes model.onnx for `zoo swap --runtime onnx`."""
    if not as_onnx:
        raise ZooError("say which format: zoo export --onnx MODEL")
    from zoo.hub import from_pretrained, resolve_model
    from zoo_video.onnx_generator import export_onnx

    folder = resolve_model(model, revision)
    generator = from_pretrained(folder).parts["generator"]
    click.echo(str(export_onnx(folder, generator, force=force)))
