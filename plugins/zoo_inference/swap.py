"""Face swapping on real photos: detect → align → swap → paste back (METHODS.md F7).

A generator only understands aligned faces at its own resolution, so a photo goes through the
same registration the training data went through (5-point similarity onto the canonical
template), and the result is mapped back with the inverse transform and blended in with a
feathered mask and a Laplacian pyramid. Everything outside the face region keeps the photo's
pixels, and the photo keeps its size and (EXIF-corrected) orientation. Before the blend the face's
colour is matched to the target's skin (:mod:`zoo_inference.color_match`); ``pixel_boost`` swaps a
k× larger crop as k² interleaved sub-images (:mod:`zoo_inference.pixel_boost`); several source photos
give one averaged identity (:mod:`zoo_inference.sources`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo.errors import ZooError
from zoo.outputs import check_not_an_input, check_output_file, check_output_folder
from zoo.progress import Progress
from zoo_faces.align import align_face, canonical_landmarks, estimate_similarity, paste_back
from zoo_faces.defaults import DEFAULT_DETECTOR, DEFAULT_QUALITY
from zoo_faces.detections import FaceDetections
from zoo_faces.image import load_image, save_image, to_tensor
from zoo_faces.mask import face_mask
from zoo_inference.color_match import match_color
from zoo_inference.paste_options import DEFAULT_COLOR_MATCH
from zoo_inference.pixel_boost import interleave_phases, split_phases
from zoo_inference.provenance import swap_provenance
from zoo_inference.sources import SwapSource, expand_sources, load_source, source_inputs

__all__ = [
    "IMAGE_SUFFIXES",
    "Detector",
    "FaceSwapper",
    "SwapError",
    "choose_faces",
    "compare_path",
    "compare_strip",
    "largest_face",
    "load_swapper",
    "plan_swap_outputs",
    "swap_files",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
_COMPARE_HEIGHT_CAP = 1080


class SwapError(ZooError):
    """A photo pair that cannot be swapped as asked: no face, an ambiguous or missing face choice."""


Detector = Callable[[list[np.ndarray]], list[FaceDetections]]
"""A detector's ``detect``: H×W×3 uint8 RGB photos → their faces, best score first."""


@dataclass
class FaceSwapper:
    """A generator plus a detector: swaps the identity of one photo's face into other photos."""

    generator: torch.nn.Module
    detector: Detector
    device: str = "cpu"
    masker: Any = None
    """A :class:`zoo_masks.compose.FaceMasker` (``--mask``); None pastes inside the 5-point hull."""
    provenance: dict[str, str] = field(default_factory=swap_provenance)
    """Written into every image :func:`swap_files` saves (see :mod:`zoo_inference.provenance`)."""
    color_match: str = DEFAULT_COLOR_MATCH
    """How the face's colour is matched to the target's inside the blend mask (``--color-match``)."""
    pixel_boost: int = 1
    """k: swap a k·R crop as k² interleaved R px sub-images (``--pixel-boost``; checked by the CLI)."""

    @property
    def input_resolution(self) -> int:
        return int(self.generator.input_resolution)

    @property
    def output_resolution(self) -> int:
        return int(self.generator.output_resolution)

    @property
    def template_resolution(self) -> int:
        """The side target faces are aligned at: the model's input, or k× its output with pixel boost."""
        return self.input_resolution if self.pixel_boost == 1 else self.pixel_boost * self.output_resolution

    @property
    def face_resolution(self) -> int:
        """The side of the faces pasted back."""
        return self.pixel_boost * self.output_resolution

    def detect(self, photo: np.ndarray) -> FaceDetections:
        return self.detector([photo])[0]

    def source_face(self, photo: np.ndarray, where: str = "source photo") -> torch.Tensor:
        """The identity to transplant: the largest detected face (score breaks ties), aligned, 1×3×R×R."""
        faces = self.detect(photo)
        if len(faces) == 0:
            raise SwapError(f"{where} has no face (the detector found none)")
        return to_tensor(align_face(photo, faces.landmarks[largest_face(faces)], self.input_resolution).crop)

    def swap_photo(
        self,
        source: SwapSource | torch.Tensor,
        photo: np.ndarray,
        face_index: int | None = None,
        all_faces: bool = False,
        where: str = "target",
        faces: FaceDetections | None = None,
        mask_records: list | None = None,
        progress: bool = False,
    ) -> np.ndarray:
        """``photo`` with the chosen face(s) replaced by ``source``'s identity, same size as ``photo``.

        ``source`` is an aligned face (1×3×R×R, e.g. from :meth:`source_face`) or a :class:`SwapSource`
        (several photos, :func:`~zoo_inference.sources.load_source`). With one face in
        the photo no choice is needed; with several, pick ``face_index`` (detection order, best
        score first) or ``all_faces``. With a masker, each face's masks are appended to ``mask_records``.
        ``progress`` counts the faces pasted back (a group photo takes seconds per face).
        """
        faces = self.detect(photo) if faces is None else faces
        chosen = choose_faces(faces, face_index, all_faces, where)
        landmarks = faces.landmarks[chosen]
        templates = torch.cat([to_tensor(align_face(photo, points, self.template_resolution).crop) for points in landmarks])
        results, generator_masks = self.swap_faces(source, templates)
        original = photo
        with Progress("swap", len(chosen), unit="face", enabled=progress and len(chosen) > 1, leave=False) as bar:
            for index, face, points, own_mask in zip(chosen, results, landmarks, generator_masks):
                photo = self.paste_face(photo, original, face, points, faces.boxes[index], own_mask, mask_records)
                bar.update()
        return photo

    def swap_faces(self, source: SwapSource | torch.Tensor, templates: torch.Tensor) -> tuple[torch.Tensor, list]:
        """The generator's faces for N templates (aligned at :attr:`template_resolution`), and per face its
        own blend mask when ``--mask generator`` asks for it; with pixel boost, each face is the k² swaps of
        its interleaved sub-images put back on their grids."""
        source = source if isinstance(source, SwapSource) else SwapSource(source)
        boost = self.pixel_boost
        if boost > 1:
            templates = split_phases(templates, boost)
        faces = source.face  # one face for all, or one per template
        faces = faces.expand(len(templates), -1, -1, -1) if len(faces) == 1 else faces.repeat_interleave(boost**2, 0)
        extra = () if source.identity is None else (source.identity.to(self.device),)
        if self.masker is not None and self.masker.wants_generator_mask:
            with torch.inference_mode():
                results, own = self.generator.swap_with_mask(faces.to(self.device), templates.to(self.device), *extra)
            results, own = results.float().clamp(0.0, 1.0).cpu(), own.float().cpu()
            if boost > 1:
                results, own = interleave_phases(results, boost), interleave_phases(own, boost)
            return results, list(own[:, 0].numpy())
        results = self.swap_aligned(faces, templates, *extra)
        results = interleave_phases(results, boost) if boost > 1 else results
        return results, [None] * len(results)

    def paste_face(self, photo: np.ndarray, original: np.ndarray, face: torch.Tensor, points: np.ndarray,
                   box: np.ndarray, own_mask: Any = None, mask_records: list | None = None) -> np.ndarray:
        """``photo`` with one generated ``face`` blended in at ``points``, inside the masker's mask (computed
        on the unswapped ``original``) or the 5-point hull; its colour first matched to ``original``'s
        skin under that mask (:attr:`color_match`)."""
        size = self.face_resolution
        matrix = estimate_similarity(points, size)
        if self.masker is not None:
            from zoo_masks.debug import FaceMaskRecord

            masks = self.masker.crop_masks(original, points, size, box, own_mask)
            mask = self.masker.combine(masks)
            if mask_records is not None:
                mask_records.append(FaceMaskRecord(masks, mask, matrix))
        else:
            mask = face_mask(size, canonical_landmarks(size), kind="hull", feather=0.25)  # paste_back's own default
        if self.color_match != "none":  # measured on skin: where the mask meets the landmark hull, not collar or hair
            skin = mask * face_mask(size, canonical_landmarks(size), kind="hull", feather=0)
            face = match_color(face, to_tensor(align_face(original, points, size).crop)[0], skin, self.color_match)
        return paste_back(photo, face, matrix, mask=mask)

    @torch.inference_mode()
    def swap_aligned(self, sources: torch.Tensor, templates: torch.Tensor,
                     identity: torch.Tensor | None = None) -> torch.Tensor:
        """The generator on aligned N×3×R×R faces in [0, 1] → N×3×R'×R' at its output resolution;
        ``identity`` (1×D, several source photos averaged) replaces the sources' own embedding."""
        extra = () if identity is None else (identity.to(self.device),)
        result = self.generator.swap(sources.to(self.device), templates.to(self.device), *extra)
        return result.float().clamp(0.0, 1.0).cpu()


def largest_face(faces: FaceDetections) -> int:
    """Index of the largest face (score breaks ties): the one a photo of a person is about."""
    areas = (faces.boxes[:, 2] - faces.boxes[:, 0]) * (faces.boxes[:, 3] - faces.boxes[:, 1])
    return max(range(len(faces)), key=lambda i: (round(float(areas[i])), float(faces.scores[i])))


def choose_faces(faces: FaceDetections, face_index: int | None, all_faces: bool, where: str = "target") -> list[int]:
    """Indices of the faces to replace, or a :class:`SwapError` that says which indices exist."""
    count = len(faces)
    indices = ", ".join(str(i) for i in range(count))
    if count == 0:
        raise SwapError(f"{where} has no face (the detector found none)")
    if face_index is not None:
        if not 0 <= face_index < count:
            noun = "face" if count == 1 else "faces"
            raise SwapError(f"--face-index {face_index} is out of range: {where} has {count} {noun} (indices {indices})")
        return [face_index]
    if all_faces or count == 1:
        return list(range(count))
    raise SwapError(
        f"{where} has {count} faces (indices {indices} by score): choose one with --face-index or use --all-faces"
    )


def load_swapper(
    model: str | Path,
    detector: str = DEFAULT_DETECTOR,
    detector_args: dict[str, Any] | None = None,
    revision: str | None = None,
    device: str = "cpu",
) -> FaceSwapper:
    """A :class:`FaceSwapper` from a model folder or Hub repo id and a registered detector name."""
    import zoo

    folder = zoo.from_pretrained(model, revision=revision)
    generator = folder.parts["generator"].to(device).eval()
    if not all(hasattr(generator, member) for member in ("swap", "input_resolution", "output_resolution")):
        raise ZooError(f"model {model}: its main part ({type(generator).__name__}) is not a swap generator "
                       "(it needs swap, input_resolution and output_resolution; `zoo list --role generator`)")
    built = zoo.build("detector", detector, **(detector_args or {}))
    if not callable(getattr(built, "detect", None)):
        raise ZooError(f"detector '{detector}' has no detect(images) method")
    return FaceSwapper(generator=generator, detector=built.detect, device=device,
                       provenance=swap_provenance(str(model), folder.path, revision))


def compare_strip(images: Sequence[np.ndarray], height: int | None = None) -> np.ndarray:
    """Images side by side at one height (the tallest, capped at 1080 px), separated by white bars."""
    import cv2

    height = height or min(max(image.shape[0] for image in images), _COMPARE_HEIGHT_CAP)
    gap = np.full((height, max(4, height // 100), 3), 255, dtype=np.uint8)
    row: list[np.ndarray] = []
    for image in images:
        width = max(1, round(image.shape[1] * height / image.shape[0]))
        shrinking = height < image.shape[0]
        row.append(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC))
        row.append(gap)
    return np.ascontiguousarray(np.concatenate(row[:-1], axis=1))


def compare_path(output: Path) -> Path:
    """Where ``--compare`` writes the source | target | result strip for ``output``."""
    return output.with_name(f"{output.stem}_compare.png")


def plan_swap_outputs(
    source: str | Path | Sequence[Path], target: str | Path, output: str | Path, compare: bool = False,
    force: bool = False, video: bool = False,
) -> list[tuple[Path, Path]]:
    """The (photo, output) pairs of a swap, every output checked before any work (:mod:`zoo.outputs`).

    A single target writes ``output`` (a file; its folder must exist). A target folder writes one
    PNG per photo into the folder ``output`` (created if its parent exists). No output may be an
    input or lie inside the target folder; an existing output file needs ``force``. A ``video``
    target's output is only checked against the inputs here: its writer checks the rest.
    """
    from zoo_faces.image import check_image_name

    target, output = Path(target), Path(output)
    inputs = source_inputs(source)
    if target.is_dir():
        inputs.append(("target folder", target))
        check_output_folder(output, inputs, what=f"-o {output}", parents=False)
        jobs = _folder_jobs(target, output)
    elif video:
        check_not_an_input(output, [*inputs, ("target video", target)], what=f"-o {output}")
        return [(target, output)]
    else:
        inputs.append(("target photo", target))
        jobs = [(target, output)]
    seen: dict[Path, Path] = {}
    for photo, written in jobs:
        outputs = [(written, f"-o {written}" if written == output else f"output {written}")]
        if compare:
            outputs.append((compare_path(written), f"--compare output {compare_path(written)}"))
        for path, what in outputs:
            if path in seen:
                raise SwapError(f"{seen[path]} and {photo} would both be written to {path}: rename one of them")
            seen[path] = photo
            check_output_file(path, inputs, force=force, what=what, folder_must_exist=not target.is_dir())
            check_image_name(path, what)
    return jobs


def swap_files(
    swapper: FaceSwapper,
    source: str | Path | Sequence[Path],
    target: str | Path,
    output: str | Path,
    face_index: int | None = None,
    all_faces: bool = False,
    compare: bool = False,
    on_skip: Callable[[Path, ZooError], None] | None = None,
    debug_masks: str | Path | None = None,
    progress: bool = True,
    select_faces: Callable[[np.ndarray, FaceDetections, str], FaceDetections] | None = None,
    force: bool = False,
    quality: int = DEFAULT_QUALITY,
) -> list[Path]:
    """Swap ``source``'s face into ``target`` (a photo or a folder of photos); returns files written.

    ``source`` is a photo, or several photos and folders whose identities are averaged (:mod:`.sources`).
    Outputs are planned and checked first (:func:`plan_swap_outputs`). In a target folder, a photo
    that cannot be swapped is reported to ``on_skip`` and the rest go on (without ``on_skip`` the
    first failure raises). ``compare`` also writes ``<name>_compare.png``: source | target | result.
    ``debug_masks`` writes the masks drawn over each target (a file, or a folder for a target folder).
    ``progress`` shows photos done (a folder) or faces done (one photo with several) on stderr.
    ``select_faces`` (e.g. only the ``--reference`` person) narrows each photo's faces; all of
    those it keeps are replaced. Each output is a JPEG/WebP of ``quality`` (or a PNG) carrying its
    target photo's ICC profile and EXIF plus the swap's provenance (:func:`zoo_faces.image.save_image`).
    """
    target, output = Path(target), Path(output)
    jobs = plan_swap_outputs(source, target, output, compare, force)
    debug_paths = _debug_paths(jobs, debug_masks, target.is_dir()) if debug_masks is not None else {}
    inputs = [*source_inputs(source), ("target folder" if target.is_dir() else "target photo", target)]
    for path in debug_paths.values():  # mask pictures obey the same rules as the outputs
        check_output_file(path, inputs, force=force, what=f"--debug-masks {path}", folder_must_exist=False)
    if target.is_dir():
        output.mkdir(exist_ok=True)
    source_photos = expand_sources(source)
    preloaded = {target: load_image(target)} if len(jobs) == 1 and jobs[0][0] == target else {}
    source_face = load_source(swapper, source_photos)
    source_photo = load_image(source_photos[0]) if compare else None
    written: list[Path] = []
    with Progress("swap", len(jobs), unit="photo", enabled=progress and len(jobs) > 1) as bar:
        for photo_path, out_path in jobs:
            records: list | None = [] if debug_paths else None
            try:
                photo = preloaded.pop(photo_path) if photo_path in preloaded else load_image(photo_path)
                where = f"target {photo_path}"
                single = progress and len(jobs) == 1
                if select_faces is None:
                    result = swapper.swap_photo(source_face, photo, face_index, all_faces, where=where,
                                                mask_records=records, progress=single)
                else:
                    faces = select_faces(photo, swapper.detect(photo), where)
                    result = swapper.swap_photo(source_face, photo, face_index, True, where=where, faces=faces,
                                                mask_records=records, progress=single)
            except ZooError as error:
                if on_skip is None:
                    raise
                bar.update()
                on_skip(photo_path, error)
                continue
            save_image(out_path, result, swapper.provenance, quality=quality, like=photo_path)
            written.append(out_path)
            if records is not None:
                from zoo_masks.debug import draw_masks

                save_image(debug_paths[photo_path], draw_masks(photo, records))
                written.append(debug_paths[photo_path])
            if compare:
                assert source_photo is not None
                save_image(compare_path(out_path), compare_strip([source_photo, photo, result]), swapper.provenance)
                written.append(compare_path(out_path))
            bar.update()
    return written


def _debug_paths(jobs: list[tuple[Path, Path]], debug_masks: str | Path, folder: bool) -> dict[Path, Path]:
    """Where each target's mask picture goes: the file itself, or ``<folder>/<name>.png``; never over an output."""
    debug = Path(debug_masks)
    if not debug.parent.is_dir():
        raise SwapError(f"--debug-masks {debug}: folder {debug.parent} does not exist")
    outputs = {out.resolve() for _, out in jobs} | {out.parent.resolve() for _, out in jobs if folder}
    if debug.resolve() in outputs:
        raise SwapError(f"--debug-masks {debug} is where the swapped output goes: choose another path")
    if not folder:
        return {jobs[0][0]: debug}
    if debug.exists() and not debug.is_dir():
        raise SwapError(f"--debug-masks {debug} must be a folder when the target is a folder")
    debug.mkdir(exist_ok=True)
    return {photo: debug / f"{photo.stem}.png" for photo, _ in jobs}


def _folder_jobs(target: Path, output: Path) -> list[tuple[Path, Path]]:
    photos = sorted(path for path in target.iterdir() if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES)
    if not photos:
        raise SwapError(f"target folder {target} has no images ({', '.join(IMAGE_SUFFIXES)})")
    return [(photo, output / f"{photo.stem}.png") for photo in photos]
