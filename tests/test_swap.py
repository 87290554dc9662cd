"""`zoo swap` on the shared wild photos: detect → align → swap → paste back, and its one-line errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo.cli import main
from zoo.modelfolder import PartSpec, save_model_folder
from zoo_faces.align import align_face, canonical_landmarks, estimate_similarity, invert_affine, transform_points
from zoo_faces.image import load_image, to_tensor
from zoo_inference.swap import FaceSwapper, SwapError, compare_strip, load_swapper, swap_files

GENERATOR_ARGS = {"resolution": 16, "channels": 8, "max_channels": 16, "downsamples": 1, "blocks": 1, "id_dim": 16,
                  "growth": [32]}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small 16→32 px adain_swap model folder (untrained: these tests are about the photo pipeline)."""
    torch.manual_seed(0)
    generator = zoo.build("backbone", "adain_swap", **GENERATOR_ARGS)
    folder = tmp_path_factory.mktemp("swap") / "model"
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec("adain_swap", generator.build_args())},
                      info={"name": "swap-test"})
    return folder


@pytest.fixture(scope="session")
def detector_args(assets: Path) -> dict[str, str]:
    """The small offline RetinaFace; photos detected at 640 px keep these tests quick."""
    return {"body": "mobilenet0.25", "weights": str(assets / "weights" / "retinaface_mobilenet0.25.safetensors"),
            "max_size": "640"}


@pytest.fixture(scope="session")
def swapper(model_dir: Path, detector_args: dict[str, str]) -> FaceSwapper:
    return load_swapper(model_dir, "retinaface", detector_args)


@pytest.fixture(scope="session")
def wild(assets: Path) -> Path:
    return assets / "faces" / "wild"


def cli_args(model_dir: Path, detector_args: dict[str, str], *args: str | Path) -> list[str]:
    detector = [item for key, value in detector_args.items() for item in ("-a", f"{key}={value}")]
    return ["swap", "--model", str(model_dir), "--detector", "retinaface", *detector, *map(str, args)]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def box_region(photo: np.ndarray, box: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = np.round(box).astype(int)
    return photo[max(y1, 0):y2, max(x1, 0):x2]


def test_one_chosen_face_changes_and_the_others_stay_exactly(swapper: FaceSwapper, wild: Path) -> None:
    photo = load_image(wild / "multi_people3.jpg")
    faces = swapper.detect(photo)
    assert len(faces) == 3
    source = swapper.source_face(load_image(wild / "obama_720p.jpg"))
    result = swapper.swap_photo(source, photo, face_index=1, faces=faces)
    assert result.shape == photo.shape and result.dtype == np.uint8
    changed = [not np.array_equal(box_region(result, box), box_region(photo, box)) for box in faces.boxes]
    assert changed == [False, True, False]
    assert np.abs(result.astype(int) - photo.astype(int)).max() > 30


def test_pasted_face_is_the_generator_output(swapper: FaceSwapper, wild: Path) -> None:
    """Deep inside the face the photo shows what the generator produced, warped back into place."""
    swapper = dataclasses.replace(swapper, color_match="none")  # the colours as generated (see test_paste_back.py)
    photo = load_image(wild / "obama_720p.jpg")
    faces = swapper.detect(photo)
    source = swapper.source_face(load_image(wild / "Tom_Cruise_avp_2014_4.jpg"))
    template = to_tensor(align_face(photo, faces.landmarks[0], swapper.input_resolution).crop)
    generated = swapper.swap_aligned(source, template)[0]
    result = swapper.swap_photo(source, photo)
    size = swapper.output_resolution
    matrix = estimate_similarity(faces.landmarks[0], size)
    # the nose and a point between the eyes: both deep inside the blend mask
    crop_points = np.array([canonical_landmarks(size)[2], canonical_landmarks(size)[:2].mean(0)])
    for (cx, cy), (px, py) in zip(crop_points, transform_points(crop_points, invert_affine(matrix))):
        expected = generated[:, round(cy), round(cx)].numpy() * 255
        assert np.abs(result[round(py), round(px)].astype(float) - expected).max() < 40


def test_all_faces_replaces_every_face(swapper: FaceSwapper, wild: Path) -> None:
    photo = load_image(wild / "two_people.jpg")
    faces = swapper.detect(photo)
    source = swapper.source_face(load_image(wild / "astronaut.png"))
    result = swapper.swap_photo(source, photo, all_faces=True, faces=faces)
    assert all(not np.array_equal(box_region(result, box), box_region(photo, box)) for box in faces.boxes)


def test_exif_rotated_target_keeps_upright_size(swapper: FaceSwapper, wild: Path, tmp_path: Path) -> None:
    upright = Image.open(wild / "obama_720p.jpg")
    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated 90° counter-clockwise; viewers turn it clockwise
    upright.transpose(Image.Transpose.ROTATE_90).save(rotated, exif=exif.tobytes(), quality=95)
    written = swap_files(swapper, wild / "astronaut.png", rotated, tmp_path / "out.png")
    assert written == [tmp_path / "out.png"]
    assert load_image(written[0]).shape == (upright.height, upright.width, 3)


def test_compare_strip_is_three_panels_at_one_height() -> None:
    images = [np.zeros((100, 50, 3), np.uint8), np.zeros((200, 400, 3), np.uint8), np.zeros((200, 400, 3), np.uint8)]
    strip = compare_strip(images)
    gap = 4
    assert strip.shape == (200, 100 + 400 + 400 + 2 * gap, 3)
    assert (strip[:, 100:100 + gap] == 255).all()


def test_cli_swaps_and_compares(model_dir: Path, detector_args: dict[str, str], wild: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "swapped.png"
    code, stdout, stderr = run_cli(cli_args(model_dir, detector_args, "--source", wild / "obama_720p.jpg",
                                            "--target", wild / "multi_people3.jpg", "-o", out,
                                            "--face-index", "2", "--compare"), capsys)
    assert (code, stderr) == (0, "")
    compare = tmp_path / "swapped_compare.png"
    assert stdout.splitlines() == [str(out), str(compare)]
    assert load_image(out).shape == (1080, 1920, 3)
    strip = load_image(compare)
    assert strip.shape[0] == 1080 and strip.shape[1] > 1920 + 1920


def test_cli_batch_folder_skips_photos_without_faces(model_dir: Path, detector_args: dict[str, str], wild: Path,
                                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets = tmp_path / "targets"
    targets.mkdir()
    for name in ("astronaut.png", "dogs_no_face.jpg", "obama_partial_face.jpg"):
        (targets / name).write_bytes((wild / name).read_bytes())
    (targets / "notes.txt").write_text("not a photo")
    out = tmp_path / "results"
    code, stdout, stderr = run_cli(cli_args(model_dir, detector_args, "-s", wild / "Tom_Cruise_avp_2014_4.jpg",
                                            "-t", targets, "-o", out), capsys)
    assert stdout.splitlines() == [str(out / "astronaut.png"), str(out / "obama_partial_face.png")]
    assert stderr.splitlines() == [
        f"skipped: target {targets / 'dogs_no_face.jpg'} has no face (the detector found none)",
        "swap: 3/3 photos",  # progress: plain lines when stderr is not a terminal
        f"error: 1 photo(s) in {targets} could not be swapped (see above)",
    ]
    assert code == 3  # partial success: the other photos were written
    assert load_image(out / "obama_partial_face.png").shape == load_image(wild / "obama_partial_face.jpg").shape
    again = tmp_path / "again"
    code, stdout, _ = run_cli(cli_args(model_dir, detector_args, "-s", wild / "Tom_Cruise_avp_2014_4.jpg",
                                       "-t", targets, "-o", again, "--json"), capsys)
    import json

    assert code == 3 and json.loads(stdout) == {
        "written": [str(again / "astronaut.png"), str(again / "obama_partial_face.png")],
        "skipped": [str(targets / "dogs_no_face.jpg")]}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("several_faces", "error: target {wild}/multi_people3.jpg has 3 faces (indices 0, 1, 2 by score): "
                          "choose one with --face-index or use --all-faces"),
        ("index_out_of_range", "error: --face-index 3 is out of range: target {wild}/multi_people3.jpg has 3 faces "
                               "(indices 0, 1, 2)"),
        ("no_source_face", "error: source photo {wild}/dogs_no_face.jpg has no face (the detector found none)"),
        ("missing_output_dir", "error: output directory {tmp}/nowhere does not exist (for -o {tmp}/nowhere/out.png)"),
        ("unreadable_image", "error: cannot read image {tmp}/broken.jpg: not an image file (unrecognised format)"),
        ("missing_model", "error: model folder not found: {tmp}/no_model"),
        ("both_choices", "error: use either --face-index or --all-faces, not both"),
    ],
)
def test_cli_bad_input_is_one_line(case: str, expected: str, model_dir: Path, detector_args: dict[str, str],
                                   wild: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.jpg").write_bytes(b"this is not a jpeg")
    source, target, out, model = wild / "obama_720p.jpg", wild / "multi_people3.jpg", tmp_path / "out.png", model_dir
    extra: list[str] = []
    if case == "index_out_of_range":
        extra = ["--face-index", "3"]
    elif case == "no_source_face":
        source, extra = wild / "dogs_no_face.jpg", ["--all-faces"]
    elif case == "missing_output_dir":
        out = tmp_path / "nowhere" / "out.png"
    elif case == "unreadable_image":
        target = tmp_path / "broken.jpg"
    elif case == "missing_model":
        model = tmp_path / "no_model"
    elif case == "both_choices":
        extra = ["--face-index", "0", "--all-faces"]
    code, stdout, stderr = run_cli(cli_args(model, detector_args, "-s", source, "-t", target, "-o", out, *extra),
                                   capsys)
    assert code == 2 and stdout == ""
    assert stderr == expected.format(wild=wild, tmp=tmp_path) + "\n"
    assert not out.exists()


def test_choice_errors_are_zoo_errors(swapper: FaceSwapper) -> None:
    blank = np.full((200, 200, 3), 128, np.uint8)
    with pytest.raises(SwapError, match=r"^photo x has no face \(the detector found none\)$"):
        swapper.source_face(blank, where="photo x")


def test_force_replaces_an_existing_output_but_never_an_input(model_dir: Path, detector_args: dict[str, str],
                                                               wild: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "target.jpg"
    target.write_bytes((wild / "obama_720p.jpg").read_bytes())
    out = tmp_path / "out.png"
    out.write_bytes(b"an older result")
    code, stdout, stderr = run_cli(cli_args(model_dir, detector_args, "-s", wild / "astronaut.png", "-t", target,
                                            "-o", out, "--force"), capsys)
    assert (code, stdout, stderr) == (0, f"{out}\n", "")
    assert load_image(out).shape == load_image(target).shape
    before = target.read_bytes()
    code, _, stderr = run_cli(cli_args(model_dir, detector_args, "-s", wild / "astronaut.png", "-t", target,
                                       "-o", target, "--force"), capsys)
    assert (code, stderr) == (2, f"error: -o {target} is the same file as the target photo {target}: refusing to "
                                 "overwrite an input\n")
    assert target.read_bytes() == before
