"""``zoo prepare`` and the ``folder`` dataset: real detector, bad files skipped and reported, resumable."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import zoo
from zoo.cli import cli, main
from zoo.errors import ZooError
from zoo_datasets.prepare import INDEX, REPORT, prepare_folder
from zoo_faces.align import canonical_landmarks

from pause_at import kill_when_paused

SIZE = 64


def _shrunk(path: Path, width: int) -> Image.Image:
    image = Image.open(path).convert("RGB")
    return image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)


@pytest.fixture(scope="module")
def detector_args(assets: Path) -> list[str]:
    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    return ["--detector", "retinaface", "-a", "body=mobilenet0.25", "-a", f"weights={weights}"]


@pytest.fixture(scope="module")
def detector(assets: Path):
    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    return zoo.build("detector", "retinaface", body="mobilenet0.25", weights=str(weights))


@pytest.fixture(scope="module")
def photos(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two people in subfolders (one photo EXIF-rotated), loose photos, and every kind of bad file."""
    wild = assets / "faces" / "wild"
    root = tmp_path_factory.mktemp("photos")
    (root / "obama").mkdir()
    (root / "cruise").mkdir()
    obama = _shrunk(wild / "obama_720p.jpg", 480)
    obama.save(root / "obama" / "upright.jpg", quality=92)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the pixels are stored turned counter-clockwise
    obama.transpose(Image.Transpose.ROTATE_90).save(root / "obama" / "phone.jpg", quality=92, exif=exif.tobytes())
    _shrunk(wild / "Tom_Cruise_avp_2014_4.jpg", 300).save(root / "cruise" / "a.jpg", quality=92)
    astronaut = _shrunk(wild / "astronaut.png", 256).convert("RGBA")
    astronaut.putalpha(255)
    astronaut.save(root / "astronaut_alpha.png")
    grey = np.asarray(_shrunk(wild / "alex_lacamoire.png", 256).convert("L"), dtype=np.uint16) * 257
    Image.fromarray(grey).save(root / "grey16.png")
    _shrunk(wild / "dogs_no_face.jpg", 256).save(root / "dogs.jpg")
    Image.new("RGB", (20, 20), (200, 150, 120)).save(root / "tiny.png")
    encoded = io.BytesIO()
    obama.save(encoded, "JPEG")
    data = encoded.getvalue()
    third = len(data) // 3
    noise = np.random.default_rng(0).integers(0, 256, third, dtype=np.uint8).tobytes()
    (root / "corrupt.jpg").write_bytes(data[:third] + noise + data[2 * third :])
    png = io.BytesIO()
    obama.save(png, "PNG")
    (root / "truncated.png").write_bytes(png.getvalue()[: len(png.getvalue()) // 2])
    (root / "notes.txt").write_text("not a photo\n")
    (root / ".hidden.jpg").write_bytes(b"ignored: hidden files are not photos")
    return root


EXPECTED_SKIPS = {
    "corrupt.jpg": "corrupt image data",
    "truncated.png": "file is truncated",
    "notes.txt": "not an image file (unrecognised format)",
    "tiny.png": "no face found (20×20 pixels)",
    "dogs.jpg": "no face found (256×261 pixels)",
}


@pytest.fixture(scope="module")
def prepared(photos: Path, detector_args: list[str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("prepared") / "out"
    result = CliRunner().invoke(cli, ["prepare", str(photos), str(out), "--size", str(SIZE), *detector_args])
    assert result.exit_code == 0, result.output
    return out, result.output


def _index(out: Path) -> dict[str, dict]:
    return {e["photo"]: e for e in map(json.loads, (out / INDEX).read_text().splitlines())}


def test_bad_files_are_skipped_and_reported(prepared: tuple[Path, str]) -> None:
    out, output = prepared
    lines = (out / REPORT).read_text().splitlines()
    assert lines[0] == "photo\treason"
    assert dict(line.split("\t") for line in lines[1:]) == EXPECTED_SKIPS
    assert output.strip().splitlines()[-1] == (
        f"prepared {out}: 10 photos (10 new, 0 done before), 5 faces cached, 5 skipped (listed in {out / REPORT})"
    )


def test_crops_identities_and_landmarks(prepared: tuple[Path, str]) -> None:
    out, _ = prepared
    index = _index(out)
    assert ".hidden.jpg" not in index
    assert {p: e["identity"] for p, e in index.items() if "faces" in e} == {
        "obama/upright.jpg": "obama", "obama/phone.jpg": "obama", "cruise/a.jpg": "cruise",
        "astronaut_alpha.png": "astronaut_alpha.png", "grey16.png": "grey16.png",
    }
    template = canonical_landmarks(SIZE)
    for entry in index.values():
        for face in entry.get("faces", []):
            crop = Image.open(out / face["crop"])
            assert crop.size == (SIZE, SIZE) and crop.mode == "RGB"
            assert np.abs(np.array(face["crop_landmarks"]) - template).max() < SIZE * 0.12
    assert sorted(p.name for p in (out / "faces" / "obama").iterdir()) == ["phone.jpg.png", "upright.jpg.png"]


def test_exif_rotated_photo_comes_out_upright(prepared: tuple[Path, str]) -> None:
    out, _ = prepared
    upright = np.asarray(Image.open(out / "faces" / "obama" / "upright.jpg.png"), dtype=float)
    phone = np.asarray(Image.open(out / "faces" / "obama" / "phone.jpg.png"), dtype=float)
    assert np.abs(upright - phone).mean() < 8.0  # same face, same orientation (JPEG re-encoding aside)
    assert np.abs(upright - np.rot90(phone)).mean() > 3 * np.abs(upright - phone).mean()


def test_rerun_resumes_and_redoes_only_unfinished_photos(prepared: tuple[Path, str], photos: Path, detector) -> None:
    out, _ = prepared
    lines_before = (out / INDEX).read_text().splitlines()
    report = prepare_folder(photos, out, size=SIZE, detector=lambda: pytest.fail("nothing left to detect"), progress=False)
    assert (report.photos, report.done_before, report.faces, len(report.skipped)) == (10, 10, 5, 5)
    # a crash left a torn index line and lost a crop: exactly those photos are redone
    (out / "faces" / "cruise" / "a.jpg.png").unlink()
    with open(out / INDEX, "a") as index:
        index.write('{"photo": "obama/upr')
    report = prepare_folder(photos, out, size=SIZE, detector=detector, progress=False)
    assert report.done_before == 9 and report.faces == 5
    assert (out / "faces" / "cruise" / "a.jpg.png").exists()
    assert len((out / INDEX).read_text().splitlines()) == len(lines_before) + 2


def test_prepared_faces_are_an_aligned_dataset(prepared: tuple[Path, str]) -> None:
    out, _ = prepared
    dataset = zoo.build("dataset", "aligned", root=str(out / "faces"))
    assert len(dataset) == 5 and dataset.native_resolution == SIZE
    assert sorted(dataset.names) == ["astronaut_alpha.png", "cruise", "grey16.png", "obama"]
    assert dataset.identities().count(dataset.names.index("obama")) == 2


def test_other_size_into_the_same_output_is_refused(prepared: tuple[Path, str], photos: Path, detector_args: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = prepared
    code, message = _zoo(["prepare", str(photos), str(out), "--size", "96", *detector_args], capsys)
    assert (code, message) == (2, f"error: {out} was prepared with size={SIZE}, not 96: use another output folder or --size {SIZE}")


def test_folder_dataset_prepares_once_then_reads_the_cache(photos: Path, assets: Path, tmp_path: Path) -> None:
    weights = str(assets / "weights" / "retinaface_mobilenet0.25.safetensors")
    subset = tmp_path / "people"
    (subset / "cruise").mkdir(parents=True)
    (subset / "cruise" / "a.jpg").write_bytes((photos / "cruise" / "a.jpg").read_bytes())
    (subset / "obama").mkdir()
    (subset / "obama" / "phone.jpg").write_bytes((photos / "obama" / "phone.jpg").read_bytes())
    cache = tmp_path / "cache"
    dataset = zoo.build("dataset", "folder", root=str(subset), size=48, cache=str(cache), progress=False,
                        detector="retinaface", detector_args={"body": "mobilenet0.25", "weights": weights})
    assert len(dataset) == 2 and dataset.identities() == [0, 1] and dataset.native_resolution == 48
    assert dataset.image(1, 96).shape == (3, 96, 96)  # above native: upscaled
    again = zoo.build("dataset", "folder", root=str(subset), size=48, cache=str(cache), progress=False,
                      detector="retinaface",
                      detector_args={"body": "mobilenet0.25", "weights": str(tmp_path / "absent.safetensors")})
    assert len(again) == 2  # the detector (with weights that do not exist) was never needed


# ------------------------------------------------------------------------------ errors, no assets


def _zoo(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the real entry point (one-line errors, exit codes) and return (exit code, stderr)."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    return int(exit_.value.code), capsys.readouterr().err.strip()


def test_missing_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, message = _zoo(["prepare", str(tmp_path / "nope"), str(tmp_path / "out"), "--size", "64"], capsys)
    assert (code, message) == (2, f"error: photo folder {tmp_path / 'nope'} does not exist")


def test_empty_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty" / "person").mkdir(parents=True)
    code, message = _zoo(["prepare", str(tmp_path / "empty"), str(tmp_path / "out"), "--size", "64"], capsys)
    assert (code, message) == (
        2, f"error: photo folder {tmp_path / 'empty'} is empty: put photos in it (optionally one subfolder per person)"
    )
    assert not (tmp_path / "out").exists()


def test_a_file_is_not_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"x")
    code, message = _zoo(["prepare", str(tmp_path / "photo.jpg"), str(tmp_path / "out"), "--size", "64"], capsys)
    assert (code, message) == (2, f"error: photo folder {tmp_path / 'photo.jpg'} is not a directory")


def test_a_crop_size_beyond_any_face_is_refused_before_any_work(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.jpg").write_bytes(b"x")
    code, message = _zoo(["prepare", str(tmp_path / "src"), str(tmp_path / "out"), "--size", "100000"], capsys)
    assert code == 64 and "Invalid value for '--size': 100000 is not in the range 8<=x<=4096." in message
    with pytest.raises(ZooError, match=r"^--size must be between 8 and 4096 pixels, got 100000$"):  # 30 GB per crop
        prepare_folder(tmp_path / "src", tmp_path / "out", size=100_000, detector=lambda: None)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_an_output_prepared_from_another_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Person folders of two photo folders would mix in one dataset (two people as one identity)."""
    for folder in ("A", "B"):
        (tmp_path / folder / "ada").mkdir(parents=True)
        (tmp_path / folder / "ada" / "a.jpg").write_bytes(b"x")
    (tmp_path / "out").mkdir()
    settings = json.dumps({"size": 64, "faces": "largest", "source": str(tmp_path / "A")})
    (tmp_path / "out" / "prepare.json").write_text(settings)
    code, message = _zoo(["prepare", str(tmp_path / "B"), str(tmp_path / "out"), "--size", "64"], capsys)
    assert (code, message) == (2, f"error: {tmp_path / 'out'} was prepared from {tmp_path / 'A'}, not "
                                  f"{tmp_path / 'B'}: use another output folder")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["prepare.json"]
    assert (tmp_path / "out" / "prepare.json").read_text() == settings


def test_bad_detector_argument_fails_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.jpg").write_bytes(b"x")
    code, message = _zoo(["prepare", str(tmp_path / "src"), str(tmp_path / "out"), "--size", "64", "--detector", "retinaface",
                          "-a", "bod=x"], capsys)
    assert code == 2 and message.startswith("error: detector 'retinaface': bod: unknown argument")
    assert not (tmp_path / "out").exists()


def test_kill_9_mid_prepare_resumes_without_redoing_done_photos(photos: Path, detector_args: list[str],
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = ["prepare", str(photos), str(out), "--size", str(SIZE), "--no-progress", *detector_args]
    # paused (then killed) as it starts the third photo: two are done and indexed
    kill_when_paused(tmp_path, "zoo_datasets.prepare:_handle", 3, "before", *command)
    assert len(_index(out)) == 2
    done = {face["crop"] for entry in _index(out).values() for face in entry.get("faces", [])}
    stamps = {crop: (out / crop).stat().st_mtime_ns for crop in done}
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith(f"prepared {out}: 10 photos (8 new, 2 done before), 5 faces")
    assert {crop: (out / crop).stat().st_mtime_ns for crop in done} == stamps  # not redone
    assert not list(out.rglob(".*.tmp"))


def test_symlinked_person_folder_is_followed(tmp_path: Path) -> None:
    from zoo_datasets.prepare import photos_in

    (tmp_path / "elsewhere" / "ada").mkdir(parents=True)
    (tmp_path / "elsewhere" / "ada" / "a.jpg").write_bytes(b"x")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "ada").symlink_to(tmp_path / "elsewhere" / "ada")
    (tmp_path / "src" / "b.jpg").write_bytes(b"x")
    assert [p.relative_to(tmp_path / "src").as_posix() for p in photos_in(tmp_path / "src")] == ["ada/a.jpg", "b.jpg"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.jpg").write_bytes(b"x")
    (tmp_path / "locked").mkdir(mode=0o500)
    code, message = _zoo(["prepare", str(tmp_path / "src"), str(tmp_path / "locked" / "out"), "--size", "64"], capsys)
    assert (code, message) == (2, f"error: output folder {tmp_path / 'locked' / 'out'} cannot be written: "
                                  f"{tmp_path / 'locked'} is not writable")
