"""`zoo swap -s a.jpg -s b.jpg` / `-s FOLDER`: several source photos averaged into one identity, photos and video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from video_clips import pan, read_frames, scaled, write_clip

import zoo
from zoo.cli import main
from zoo.errors import ZooError
from zoo.modelfolder import PartSpec, save_model_folder
from zoo_faces.align import align_face
from zoo_faces.image import load_image, to_tensor
from zoo_inference.sources import expand_sources, load_source
from zoo_inference.swap import FaceSwapper, load_swapper, swap_files

TINY = {"resolution": 16, "channels": 8, "max_channels": 16, "downsamples": 1, "blocks": 1, "id_dim": 16}
SOURCES = ("astronaut.png", "Tom_Cruise_avp_2014_4.jpg", "messi5.jpg")


@pytest.fixture(scope="module", params=["masked_swap", "adain_swap"])
def model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    generator = zoo.build("backbone", request.param, **TINY)
    folder = tmp_path_factory.mktemp(request.param) / "model"
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec(request.param, generator.build_args())},
                      info={})
    return folder


@pytest.fixture(scope="module")
def detector_args(assets: Path) -> dict[str, str]:
    return {"body": "mobilenet0.25", "weights": str(assets / "weights" / "retinaface_mobilenet0.25.safetensors"),
            "max_size": "640"}


@pytest.fixture(scope="module")
def swapper(model: Path, detector_args: dict[str, str]) -> FaceSwapper:
    return load_swapper(model, "retinaface", detector_args)


@pytest.fixture(scope="module")
def wild(assets: Path) -> Path:
    return assets / "faces" / "wild"


def cli(model: Path, detector_args: dict[str, str], *args: object) -> list[str]:
    detector = [item for key, value in detector_args.items() for item in ("-a", f"{key}={value}")]
    return ["swap", "-m", str(model), "--detector", "retinaface", *detector, *map(str, args)]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_averaged_identity_is_the_normalised_mean_of_the_single_ones(swapper: FaceSwapper, wild: Path) -> None:
    photos = [wild / name for name in SOURCES]
    averaged = load_source(swapper, photos)
    faces = [swapper.source_face(load_image(photo)) for photo in photos]
    with torch.no_grad():
        singles = [F.normalize(swapper.generator.embed(face), dim=1) for face in faces]
    expected = F.normalize(torch.cat(singles).mean(0, keepdim=True), dim=1)
    assert averaged.identity is not None and averaged.identity.shape == expected.shape
    assert torch.allclose(averaged.identity, expected, atol=1e-6)
    assert all((single - expected).abs().max() > 1e-4 for single in singles)  # the average is none of the photos
    assert torch.equal(averaged.face, faces[0]) and averaged.photos == tuple(photos)
    template = to_tensor(align_face(load_image(wild / "obama_720p.jpg"),
                                    swapper.detect(load_image(wild / "obama_720p.jpg")).landmarks[0], 16).crop)
    mixed = swapper.swap_aligned(averaged.face, template, averaged.identity)
    assert torch.allclose(mixed, swapper.generator.swap(faces[0], template, expected).clamp(0, 1), atol=1e-5)
    assert not torch.equal(mixed, swapper.swap_aligned(faces[0], template))  # the identity did change


def test_one_source_swaps_exactly_as_before(swapper: FaceSwapper, wild: Path, tmp_path: Path) -> None:
    single = load_source(swapper, [wild / "astronaut.png"])
    assert single.identity is None  # the generator embeds the face itself, as it always did
    target = load_image(wild / "obama_720p.jpg")
    today = swapper.swap_photo(swapper.source_face(load_image(wild / "astronaut.png")), target)
    swap_files(swapper, [wild / "astronaut.png"], wild / "obama_720p.jpg", tmp_path / "list.png", progress=False)
    swap_files(swapper, wild / "astronaut.png", wild / "obama_720p.jpg", tmp_path / "path.png", progress=False)
    assert np.array_equal(load_image(tmp_path / "list.png"), today)
    assert np.array_equal(load_image(tmp_path / "path.png"), today)


def test_cli_repeated_sources_and_a_folder_give_the_same_average(model: Path, detector_args: dict[str, str],
                                                                   wild: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "person"
    folder.mkdir()
    for name in SOURCES[:2]:  # links, not copies: the shared photos stay where they are
        (folder / name).symlink_to(wild / name)
    target = wild / "obama_720p.jpg"
    first, second = sorted(SOURCES[:2])  # a folder's photos count in name order; the first one's face is encoded
    outputs = {"one": ["-s", wild / first], "two": ["-s", wild / first, "-s", wild / second], "folder": ["-s", folder]}
    images = {}
    for name, sources in outputs.items():
        out = tmp_path / f"{name}.png"
        code, stdout, stderr = run_cli(cli(model, detector_args, *sources, "-t", target, "-o", out), capsys)
        assert (code, stdout, stderr) == (0, f"{out}\n", "")
        images[name] = load_image(out)
    assert np.array_equal(images["two"], images["folder"])
    assert not np.array_equal(images["two"], images["one"])


@pytest.mark.parametrize("case", ["no_face", "missing", "empty_folder", "twice"])
def test_cli_bad_sources_are_one_line(case: str, model: Path, detector_args: dict[str, str], wild: Path,
                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = wild / "astronaut.png"
    (tmp_path / "empty").mkdir()
    sources, expected = {
        "no_face": ([good, wild / "dogs_no_face.jpg"],
                    f"source photo {wild}/dogs_no_face.jpg has no face (the detector found none)"),
        "missing": ([good, tmp_path / "nobody.jpg"], f"source photo {tmp_path}/nobody.jpg: no such file or folder"),
        "empty_folder": ([tmp_path / "empty"], f"source folder {tmp_path}/empty has no images (.jpg, .jpeg, .png, "
                                               ".bmp, .webp, .tif, .tiff)"),
        "twice": ([good, good], f"source photo {good} is given twice: each photo counts once in the average"),
    }[case]
    out = tmp_path / "out.png"
    args = [item for source in sources for item in ("-s", source)]
    code, stdout, stderr = run_cli(cli(model, detector_args, *args, "-t", wild / "obama_720p.jpg", "-o", out), capsys)
    assert (code, stdout, stderr) == (2, "", f"error: {expected}\n")
    assert not out.exists()


def test_several_sources_need_a_generator_with_an_identity_embedding(wild: Path) -> None:
    """The classical compositor (weight-free, no embedding) is refused an average rather than silently given one."""
    compositor = zoo.build("backbone", "classical_compositor")
    swapper = FaceSwapper(generator=compositor, detector=lambda photos: [])  # refused before any photo is read
    with pytest.raises(ZooError, match=r"^2 source photos: this model's generator \(ClassicalCompositor\) has no "
                                       r"identity embedding to average \(identity_of\); give one -s photo$"):
        load_source(swapper, [wild / "astronaut.png", wild / "messi5.jpg"])
    assert expand_sources(wild / "astronaut.png") == [wild / "astronaut.png"]


def test_video_swap_takes_several_sources_too(model: Path, detector_args: dict[str, str], wild: Path,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = write_clip(tmp_path / "pan.mp4", pan(scaled(load_image(wild / "obama_720p.jpg"), 320), (110, 60), (3, 0), 4))
    frames = {}
    for name, sources in {"one": SOURCES[:1], "two": SOURCES[:2]}.items():
        out = tmp_path / f"{name}.mp4"
        args = [item for source in sources for item in ("-s", wild / source)]
        code, stdout, stderr = run_cli(cli(model, detector_args, *args, "-t", clip, "-o", out, "--all-faces"), capsys)
        assert code == 0, stderr
        frames[name] = read_frames(out)[0]
    assert len(frames["one"]) == len(frames["two"]) == 4
    assert any(not np.array_equal(a, b) for a, b in zip(frames["one"], frames["two"]))
    code, _, stderr = run_cli(cli(model, detector_args, "-s", wild / "astronaut.png", "-s", wild / "dogs_no_face.jpg",
                                  "-t", clip, "-o", tmp_path / "bad.mp4", "--all-faces"), capsys)
    assert (code, stderr) == (2, f"error: source photo {wild}/dogs_no_face.jpg has no face (the detector found none)\n")
    assert not (tmp_path / "bad.mp4").exists()
