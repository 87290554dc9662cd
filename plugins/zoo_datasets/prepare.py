"""``zoo prepare``: photos → aligned face crops + landmarks + identity labels, cached once.

Output layout (``OUT``)::

    faces/<identity>/<photo>.png   aligned crops (``size``×``size``): the ``aligned`` dataset reads this
    index.jsonl                    one line per photo handled: identity, crops, boxes, landmarks, or why skipped
    report.tsv                     the skipped photos and why (rewritten after every run)
    prepare.json                   the settings the crops were made with

Every photo is detected and aligned once: a re-run (or a run after a crash) reads ``index.jsonl``
and skips what is listed there. Crops are written to a temporary name and renamed, and a photo's
index line is appended only after its crops exist, so an interrupted run never leaves a listed
photo without its crops. A photo that cannot be read, is not an image, or shows no face is
skipped and reported — one bad file never stops the run.

Identities: photos in ``SRC/<name>/…`` belong to person ``<name>`` (a person folder may be a
symlink); a photo directly in ``SRC`` is a person of its own (and with ``faces="all"`` each of its
faces is). ``OUT`` must be new, empty or an earlier ``zoo prepare`` output, and apart from ``SRC``
(:func:`check_prepare_output`): the photos are never written to.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from zoo.atomic import write_atomic
from zoo.errors import ZooError
from zoo.outputs import OutputError, check_output_folder
from zoo.progress import Progress
from zoo_faces.defaults import MAX_CROP_SIZE

__all__ = ["Detector", "PrepareReport", "check_prepare_output", "identity_of", "prepare_folder", "photos_in",
           "FACES_DIR", "INDEX", "REPORT", "SETTINGS"]

FACES_DIR = "faces"
INDEX = "index.jsonl"
REPORT = "report.tsv"
SETTINGS = "prepare.json"

FaceChoice = Literal["largest", "all"]


class Detector(Protocol):
    def detect(self, images: list[np.ndarray]) -> list[Any]:
        """Per image: an object with ``boxes`` K×4, ``scores`` K and ``landmarks`` K×5×2."""
        ...


@dataclass
class PrepareReport:
    """What one run did; ``skipped`` holds (photo, reason) for every skipped photo so far."""

    output: Path
    photos: int = 0
    done_before: int = 0
    faces: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        new = self.photos - self.done_before
        line = (f"prepared {self.output}: {self.photos} photos ({new} new, {self.done_before} done before), "
                f"{self.faces} faces cached, {len(self.skipped)} skipped")
        return line + (f" (listed in {self.output / REPORT})" if self.skipped else "")


def photos_in(source: Path) -> list[Path]:
    """Every non-hidden file under ``source``, sorted; a person folder that is a symlink is followed."""
    if not source.exists():
        raise ZooError(f"photo folder {source} does not exist")
    if not source.is_dir():
        raise ZooError(f"photo folder {source} is not a directory")
    found = []
    for entry in sorted(source.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found += [path for path in sorted(entry.rglob("*"))
                      if path.is_file() and not any(part.startswith(".") for part in path.relative_to(entry).parts)]
        elif entry.is_file():
            found.append(entry)
    if not found:
        raise ZooError(f"photo folder {source} is empty: put photos in it (optionally one subfolder per person)")
    return found


def check_prepare_output(source: Path, output: Path) -> None:
    """OUT must be new, empty, or an earlier ``zoo prepare`` output (it has prepare.json), and apart from SRC."""
    check_output_folder(output, [("photo folder", source)], what=f"output folder {output}")
    if output.is_dir() and not (output / SETTINGS).is_file() and any(output.iterdir()):
        raise OutputError(f"output folder {output} is not empty and was not made by `zoo prepare` (no {SETTINGS}): "
                          "choose a new or empty folder")


def identity_of(relative: Path) -> str:
    """Person of a photo: its folder under SRC, or the photo itself when it lies directly in SRC."""
    return relative.parts[0] if len(relative.parts) > 1 else relative.name


def _crop_name(relative: Path, face: int) -> str:
    inner = relative.parts[1:] if len(relative.parts) > 1 else relative.parts
    stem = "__".join(inner)
    return f"{stem}.png" if face == 0 else f"{stem}-{face}.png"


def _png(crop: np.ndarray) -> bytes:
    import cv2

    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(crop[..., ::-1]))
    if not ok:
        raise OSError("PNG encoding failed")
    return encoded.tobytes()


def _read_index(path: Path) -> dict[str, dict[str, Any]]:
    """Finished photos; a torn last line (a crash mid-write) is ignored and that photo redone."""
    entries: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            entries[entry["photo"]] = entry
    return entries


def _check_settings(output: Path, settings: dict[str, Any]) -> None:
    path = output / SETTINGS
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8"))
        if previous.get("source", settings["source"]) != settings["source"]:  # person names would mix two folders
            raise ZooError(f"{output} was prepared from {previous['source']}, not {settings['source']}: "
                           "use another output folder")
        changed = [key for key in ("size", "faces") if previous.get(key) != settings[key]]
        if changed:
            key = changed[0]
            raise ZooError(f"{output} was prepared with {key}={previous.get(key)!r}, not {settings[key]!r}: "
                           f"use another output folder or --{key} {previous.get(key)}")
    else:
        write_atomic(path, json.dumps(settings, indent=2).encode())


def _chosen_faces(found: Any, faces: FaceChoice) -> list[int]:
    if len(found.scores) == 0:
        return []
    if faces == "all":
        return list(range(len(found.scores)))
    boxes = np.asarray(found.boxes, dtype=np.float64)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return [int(np.argmax(areas))]


def _handle(photo: Path, relative: Path, output: Path, size: int, detector: Detector, faces: FaceChoice) -> dict[str, Any]:
    from zoo_faces.align import align_face, transform_points
    from zoo_faces.image import ImageError, load_image

    entry: dict[str, Any] = {"photo": relative.as_posix(), "identity": identity_of(relative)}
    try:
        image = load_image(photo)
    except ImageError as error:
        return entry | {"skipped": str(error).removeprefix(f"cannot read image {photo}: ")}
    found = detector.detect([image])[0]
    chosen = _chosen_faces(found, faces)
    if not chosen:
        return entry | {"skipped": f"no face found ({image.shape[1]}×{image.shape[0]} pixels)"}
    records = []
    for number, face in enumerate(chosen):
        landmarks = np.asarray(found.landmarks[face], dtype=np.float64)
        aligned = align_face(image, landmarks, size)
        identity = entry["identity"] if faces == "largest" or len(relative.parts) > 1 else f"{entry['identity']}-{number}"
        crop = Path(FACES_DIR) / identity / _crop_name(relative, number if faces == "all" else 0)
        (output / crop).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(output / crop, _png(aligned.crop))
        records.append({
            "crop": crop.as_posix(),
            "identity": identity,
            "score": float(found.scores[face]),
            "box": [float(v) for v in found.boxes[face]],
            "landmarks": landmarks.round(2).tolist(),
            "crop_landmarks": transform_points(landmarks, aligned.matrix).round(2).tolist(),
        })
    return entry | {"faces": records}


def prepare_folder(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    size: int,
    detector: Detector | Callable[[], Detector],
    faces: FaceChoice = "largest",
    progress: bool = True,
) -> PrepareReport:
    """Detect, align and cache every photo under ``source`` into ``output`` (resumable).

    ``detector`` may be a factory: it is then built only if some photo still needs detecting.
    """
    source, output = Path(source), Path(output)
    if not 8 <= size <= MAX_CROP_SIZE:
        raise ZooError(f"--size must be between 8 and {MAX_CROP_SIZE} pixels, got {size}")
    if not source.is_dir():
        photos_in(source)  # the one-line reason: missing, or not a folder
    check_prepare_output(source, output)
    photos = photos_in(source)
    output.mkdir(parents=True, exist_ok=True)
    _check_settings(output, {"size": size, "faces": faces, "source": str(source.resolve())})
    index_path = output / INDEX
    finished = _read_index(index_path)
    report = PrepareReport(output=output, photos=len(photos))
    bar = Progress("prepare", len(photos), unit="photo", enabled=progress, leave=False)
    built: Detector | None = detector if hasattr(detector, "detect") else None
    with open(index_path, "a", encoding="utf-8") as index:
        if index.tell() and not index_path.read_bytes().endswith(b"\n"):
            index.write("\n")  # end a line torn by a crash, so the next entry starts on its own line
        for photo in photos:
            relative = photo.relative_to(source)
            entry = finished.get(relative.as_posix())
            if entry is not None and all((output / face["crop"]).exists() for face in entry.get("faces", [])):
                report.done_before += 1
            else:
                if built is None:
                    built = detector()  # type: ignore[operator]
                entry = _handle(photo, relative, output, size, built, faces)
                index.write(json.dumps(entry) + "\n")
                index.flush()
                os.fsync(index.fileno())
                finished[entry["photo"]] = entry
            report.faces += len(entry.get("faces", []))
            if "skipped" in entry:
                report.skipped.append((entry["photo"], entry["skipped"]))
            bar.update(faces=report.faces)
    bar.close()
    lines = ["photo\treason"] + [f"{photo}\t{reason}" for photo, reason in report.skipped]
    write_atomic(output / REPORT, ("\n".join(lines) + "\n").encode())
    return report
