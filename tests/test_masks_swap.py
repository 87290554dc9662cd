"""`zoo swap` mask controls: composition by intersection, padding/blur, regions, the debug picture, bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import zoo
from zoo.cli import main
from zoo.modelfolder import PartSpec, save_model_folder
from zoo_faces.image import load_image
from zoo_masks.compose import FaceMasker, MaskOptions
from zoo_masks.loading import load_masker

GENERATOR_ARGS = {"resolution": 16, "channels": 8, "max_channels": 16, "downsamples": 1, "blocks": 1, "id_dim": 16,
                  "growth": [32]}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An untrained swapper and an untrained segmenter (these tests are about composition, not quality)."""
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("mask_swap")
    generator = zoo.build("backbone", "adain_swap", **GENERATOR_ARGS)
    save_model_folder(root / "swapper", {"generator": generator},
                      {"generator": PartSpec("adain_swap", generator.build_args())}, info={})
    segmenter = zoo.build("backbone", "occlusion_unet", resolution=32, channels=4, depth=2)
    save_model_folder(root / "segmenter", {"generator": segmenter},
                      {"generator": PartSpec("occlusion_unet", segmenter.build_args())}, info={"role": "segmenter"})
    return {"swapper": root / "swapper", "segmenter": root / "segmenter"}


@pytest.fixture(scope="module")
def detector_args(assets: Path) -> list[str]:
    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    return ["--detector", "retinaface", "-a", "body=mobilenet0.25", "-a", f"weights={weights}", "-a", "max_size=640"]


@pytest.fixture(scope="module")
def obama(assets: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The photo, its face box and 5 landmarks (RetinaFace)."""
    photo = load_image(assets / "faces" / "wild" / "obama_720p.jpg")
    detector = zoo.build("detector", "retinaface", body="mobilenet0.25", max_size=640,
                         weights=str(assets / "weights" / "retinaface_mobilenet0.25.safetensors"))
    faces = detector.detect([photo])[0]
    return photo, faces.boxes[0], faces.landmarks[0]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_masks_intersect_and_padding_and_blur_act_on_the_result(folders: dict[str, Path], obama: tuple) -> None:
    photo, box, landmarks = obama
    options = MaskOptions.parse("occlusion,contour,hull", blur=0.0)
    masker = load_masker(options, folders["segmenter"])
    masks = masker.crop_masks(photo, landmarks, 64, box)
    assert list(masks) == ["occlusion", "contour", "hull"] and all(m.shape == (64, 64) for m in masks.values())
    combined = masker.combine(masks)
    expected = (masks["occlusion"] * masks["contour"] * masks["hull"]) > 0.5
    assert np.array_equal(combined > 0, expected)  # blur 0: exactly the hard intersection
    contour_only = FaceMasker(MaskOptions.parse("contour", blur=0.0), landmarker=masker.landmarker)
    contour = contour_only.combine({"contour": masks["contour"]})
    assert 0.15 < contour.mean() < 0.8  # jaw + brows of a frontal face fill a good part of the crop
    grown = FaceMasker(MaskOptions.parse("contour", padding=0.05, blur=0.0), landmarker=masker.landmarker)
    shrunk = FaceMasker(MaskOptions.parse("contour", padding=-0.05, blur=0.0), landmarker=masker.landmarker)
    big, small = grown.combine({"contour": masks["contour"]}), shrunk.combine({"contour": masks["contour"]})
    assert small.sum() < contour.sum() < big.sum() and (small <= contour).all() and (contour <= big).all()
    soft = FaceMasker(MaskOptions.parse("contour", blur=0.1), landmarker=masker.landmarker).combine(
        {"contour": masks["contour"]})
    assert (soft <= contour).all() and 0 < soft[(soft > 0)].min() < 1  # feathered inward, never past the outline


def test_occlusion_mask_does_not_depend_on_the_swappers_resolution(folders: dict[str, Path], obama: tuple) -> None:
    # the segmenter always sees a crop cut at 4x its input (32 px here) and shrunk with antialiasing, never a photo
    # warped straight to a small crop; a 32 px swapper gets the 128 px answer, area-shrunk
    photo, box, landmarks = obama
    masker = load_masker(MaskOptions.parse("occlusion", blur=0.0), folders["segmenter"])
    small, large = (masker.crop_masks(photo, landmarks, size, box)["occlusion"] for size in (32, 128))
    assert small.shape == (32, 32) and large.shape == (128, 128)
    np.testing.assert_array_equal(small, cv2.resize(large, (32, 32), interpolation=cv2.INTER_AREA))
    huge = masker.crop_masks(photo, landmarks, 256, box)["occlusion"]  # larger swappers: their own crop size
    assert huge.shape == (256, 256) and 0.0 <= float(huge.min()) and float(huge.max()) <= 1.0


def test_excluding_the_mouth_keeps_the_targets_own_mouth(folders: dict[str, Path], detector_args: list[str],
                                                         obama: tuple, assets: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    photo, _, landmarks = obama
    source = assets / "faces" / "wild" / "Tom_Cruise_avp_2014_4.jpg"
    target = assets / "faces" / "wild" / "obama_720p.jpg"
    outputs = {}
    for name, extra in {"contour": ["--mask", "contour"], "no_mouth": ["--mask", "contour", "--mask-regions", "-mouth"]}.items():
        out = tmp_path / f"{name}.png"
        code, _, stderr = run_cli(["swap", "-m", str(folders["swapper"]), *detector_args, "-s", str(source), "-t",
                                   str(target), "-o", str(out), "--mask-blur", "0.02", *extra], capsys)
        assert code == 0, stderr
        outputs[name] = load_image(out).astype(int)
    mouth = np.round(landmarks[3:].mean(0)).astype(int)  # between the mouth corners
    nose = np.round(landmarks[2]).astype(int)
    at = lambda image, p: image[p[1] - 2:p[1] + 3, p[0] - 2:p[0] + 3]  # noqa: E731
    original = photo.astype(int)
    assert np.abs(at(outputs["contour"], mouth) - at(original, mouth)).mean() > 20  # swapped
    assert np.abs(at(outputs["no_mouth"], mouth) - at(original, mouth)).mean() < 8  # the target's own lips
    assert np.abs(at(outputs["no_mouth"], nose) - at(outputs["contour"], nose)).mean() < 3  # the rest as before


def test_debug_picture_shows_each_mask_over_the_target(folders: dict[str, Path], detector_args: list[str],
                                                       assets: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    target = assets / "faces" / "wild" / "multi_people3.jpg"
    out, debug = tmp_path / "out.png", tmp_path / "masks.png"
    code, stdout, stderr = run_cli(["swap", "-m", str(folders["swapper"]), *detector_args, "-s",
                                    str(assets / "faces" / "wild" / "obama_720p.jpg"), "-t", str(target), "-o", str(out),
                                    "--all-faces", "--mask", "occlusion,contour", "--mask-model",
                                    str(folders["segmenter"]), "--debug-masks", str(debug)], capsys)
    assert (code, stderr) == (0, "swap: 3/3 faces\n")  # only the progress line (stderr is not a terminal)
    assert stdout.splitlines() == [str(out), str(debug)]
    photo, picture = load_image(target), load_image(debug)
    assert picture.shape == photo.shape
    changed = np.abs(picture.astype(int) - photo.astype(int)).max(2) > 30
    assert changed[:, 200:].mean() > 0.005  # outlines and the green tint on three faces
    assert not changed[-200:, :].any()  # far from every face the target is untouched
    red = (picture[..., 0] > 200) & (picture[..., 1] < 80) & (picture[..., 2] < 80)
    blue = (picture[..., 0] < 40) & (picture[..., 1] > 120) & (picture[..., 1] < 200) & (picture[..., 2] > 220)
    assert red.sum() > 100 and blue.sum() > 100  # the occlusion (red) and contour (blue) outlines are drawn


def test_target_folder_gets_one_debug_picture_per_photo(folders: dict[str, Path], detector_args: list[str],
                                                        assets: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    targets = tmp_path / "targets"
    targets.mkdir()
    for name in ("obama_720p.jpg", "two_people.jpg"):
        shutil.copy(assets / "faces" / "wild" / name, targets / name)
    code, stdout, stderr = run_cli(["swap", "-m", str(folders["swapper"]), *detector_args, "-s",
                                    str(assets / "faces" / "wild" / "astronaut.png"), "-t", str(targets), "-o",
                                    str(tmp_path / "out"), "--all-faces", "--mask", "hull,box", "--debug-masks",
                                    str(tmp_path / "masks")], capsys)
    assert (code, stderr) == (0, "swap: 2/2 photos\n")  # only the progress line (stderr is not a terminal)
    assert sorted(p.name for p in (tmp_path / "masks").iterdir()) == ["obama_720p.png", "two_people.png"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["obama_720p.png", "two_people.png"]
    assert len(stdout.splitlines()) == 4


def test_generator_mask_is_the_models_own_blend_mask(obama: tuple) -> None:
    from zoo_faces.align import align_face
    from zoo_faces.image import to_tensor
    from zoo_faces.detections import FaceDetections
    from zoo_inference.swap import FaceSwapper

    photo, box, landmarks = obama
    torch.manual_seed(0)
    generator = zoo.build("backbone", "masked_swap", resolution=32, channels=8, max_channels=16, downsamples=1,
                          blocks=1, id_dim=16).eval()
    masker = load_masker(MaskOptions.parse("generator,hull", blur=0.0), generator=generator)
    faces = FaceDetections(box[None], np.ones(1, np.float32), landmarks[None])
    swapper = FaceSwapper(generator, detector=lambda images: [faces], masker=masker)
    source = to_tensor(align_face(photo, landmarks, 32).crop)
    records: list = []
    swapper.swap_photo(source, photo, mask_records=records)
    _, own = generator.swap_with_mask(source, source)  # the template is the same crop as the source here
    assert list(records[0].masks) == ["generator", "hull"]
    np.testing.assert_allclose(records[0].masks["generator"], own[0, 0].numpy(), atol=1e-5)
    assert np.array_equal(records[0].combined > 0, (own[0, 0].numpy() * records[0].masks["hull"]) > 0.5)


@pytest.mark.parametrize(("extra", "expected"), [
    (["--mask", "nose"], "error: --mask 'nose': unknown mask 'nose' (masks: box, hull, contour, region, occlusion, "
                         "generator, joined by commas)"),
    (["--mask", "occlusion"], "error: --mask occlusion needs a segmenter: pass --mask-model PATH (a folder exported "
                              "by recipes/occlusion_mask.yaml)"),
    (["--mask", "occlusion", "--mask-model", "{swapper}"], "error: --mask-model {swapper}: holds backbone 'adain_swap', "
                                                           "not a segmenter (train one with recipes/occlusion_mask.yaml)"),
    (["--mask-regions", "chin"], "error: --mask-regions 'chin': unknown region 'chin' (regions: contour, upper_face, "
                                 "lower_face, mouth, eyes; prefix '-' to exclude)"),
    (["--mask-padding", "0.7"], "error: --mask-padding 0.7: must lie between -0.5 and 0.5 (a fraction of the face crop)"),
    (["--mask", "generator"], "error: --mask generator: this model's generator predicts no mask of its own; use hull, "
                              "contour or occlusion"),
    (["--debug-masks", "{out}"], "error: --debug-masks {out} is where the swapped output goes: choose another path"),
    (["--debug-masks", "{tmp}/nowhere/d.png"], "error: --debug-masks {tmp}/nowhere/d.png: folder {tmp}/nowhere does "
                                               "not exist"),
])
def test_bad_mask_options_are_one_line(extra: list[str], expected: str, folders: dict[str, Path], detector_args: list[str],
                                       assets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.png"
    values = {"swapper": folders["swapper"], "out": out, "tmp": tmp_path}
    extra = [item.format(**values) for item in extra]
    code, stdout, stderr = run_cli(["swap", "-m", str(folders["swapper"]), *detector_args, "-s",
                                    str(assets / "faces" / "wild" / "obama_720p.jpg"), "-t",
                                    str(assets / "faces" / "wild" / "obama_720p.jpg"), "-o", str(out), *extra], capsys)
    assert code != 0 and stdout == ""
    assert stderr == expected.format(**values) + "\n"
    assert not out.exists()


def _constant_segmenter(folder: Path, logit: float) -> Path:
    """A real occlusion_unet whose head says 'visible' (logit > 0) or 'covered' (< 0) everywhere."""
    segmenter = zoo.build("backbone", "occlusion_unet", resolution=32, channels=4, depth=2)
    with torch.no_grad():
        segmenter.head.weight.zero_()
        segmenter.head.bias.fill_(logit)
    save_model_folder(folder, {"generator": segmenter}, {"generator": PartSpec("occlusion_unet", segmenter.build_args())},
                      info={"role": "segmenter"}, overwrite=True)
    return folder


def test_gated_pixel_loss_ignores_what_the_segmenter_calls_covered(tmp_path: Path) -> None:
    """Method F gating (issue 13 item 5): an error where the label's face is covered costs nothing."""
    from zoo_losses.base import GroupOutputs, LossInputs
    from zoo_masks.dataset import face_region

    torch.manual_seed(1)
    label = torch.rand(2, 3, 32, 32)
    region = torch.from_numpy(face_region(32)).bool()
    in_face, off_face = label + 0.5 * region.float(), label + 0.5 * (~region).float()

    def value(segmenter_logit: float, result: torch.Tensor, loss_name: str = "occlusion_gated_pixel") -> float:
        args = {"segmenter": str(_constant_segmenter(tmp_path / f"seg{segmenter_logit}", segmenter_logit))} \
            if loss_name == "occlusion_gated_pixel" else {}
        loss = zoo.build("loss", loss_name, **args)
        return float(loss(LossInputs([GroupOutputs("fake_template", label, label, label, result)]))["fake_template"])

    assert value(-12.0, in_face) < 1e-4  # the whole face covered: its pixels are not trained
    assert value(-12.0, off_face) > 0.4  # outside the face: trained as usual
    plain = value(0.0, in_face, "pixel")
    assert abs(value(12.0, in_face) - plain) < 1e-4  # nothing covered: exactly the pixel loss
