"""`zoo swap` paste-back: colour matched to the target's skin, polyphase pixel boost, the generator's own mask."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import zoo
from zoo.cli import main
from zoo.errors import ZooError
from zoo.modelfolder import PartSpec, save_model_folder
from zoo_faces.align import align_face, canonical_landmarks, estimate_similarity, invert_affine, transform_points
from zoo_faces.color import rgb_to_lab
from zoo_faces.image import load_image, to_tensor
from zoo_faces.mask import face_mask
from zoo_inference.paste_options import default_mask
from zoo_inference.pixel_boost import check_pixel_boost, interleave_phases, split_phases
from zoo_inference.swap import FaceSwapper
from zoo_masks.compose import MaskOptions
from zoo_masks.loading import load_masker

TINY = {"channels": 8, "max_channels": 16, "downsamples": 1, "blocks": 1, "id_dim": 16}


@pytest.fixture(scope="module")
def detector(assets: Path):
    return zoo.build("detector", "retinaface", body="mobilenet0.25", max_size=640,
                     weights=str(assets / "weights" / "retinaface_mobilenet0.25.safetensors"))


@pytest.fixture(scope="module")
def detector_cli(assets: Path) -> list[str]:
    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    return ["--detector", "retinaface", "-a", "body=mobilenet0.25", "-a", f"weights={weights}", "-a", "max_size=640"]


@pytest.fixture(scope="module")
def wild(assets: Path) -> Path:
    return assets / "faces" / "wild"


def cast_generator() -> torch.nn.Module:
    """A real adain_swap whose to-RGB head is biased hard towards orange: a strong colour cast."""
    torch.manual_seed(0)
    generator = zoo.build("backbone", "adain_swap", resolution=32, **TINY).eval()
    with torch.no_grad():
        generator.to_rgb.weight.mul_(0.3)
        generator.to_rgb.bias.copy_(torch.tensor([1.5, -0.3, -1.5]))
    return generator


def masked_generator(resolution: int = 16) -> torch.nn.Module:
    torch.manual_seed(0)
    return zoo.build("backbone", "masked_swap", resolution=resolution, **TINY).eval()


def save(folder: Path, generator: torch.nn.Module, name: str) -> Path:
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec(name, generator.build_args())}, info={})
    return folder


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main([str(arg) for arg in argv])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def photo_mask(landmarks: np.ndarray, size: int, shape: tuple[int, ...]) -> np.ndarray:
    """The hull paste-back mask warped into the photo, and the box outside which paste_back touches nothing."""
    inverse = invert_affine(estimate_similarity(landmarks, size))
    crop_mask = face_mask(size, canonical_landmarks(size), kind="hull", feather=0.25)
    return cv2.warpAffine(crop_mask, inverse, (shape[1], shape[0]), flags=cv2.INTER_LINEAR)


def outside_region(landmarks: np.ndarray, size: int, shape: tuple[int, ...]) -> np.ndarray:
    inverse = invert_affine(estimate_similarity(landmarks, size))
    corners = transform_points(np.array([[0, 0], [size, 0], [0, size], [size, size]], dtype=np.float64), inverse)
    (left, top), (right, bottom) = np.floor(corners.min(0)) - 3, np.ceil(corners.max(0)) + 3
    outside = np.ones(shape[:2], bool)
    outside[max(int(top), 0):int(bottom), max(int(left), 0):int(right)] = False
    return outside


def mean_lab(pixels: np.ndarray) -> np.ndarray:
    return rgb_to_lab(torch.from_numpy(pixels.astype(np.float32) / 255).T[None, :, :, None])[0, :, :, 0].mean(1).numpy()


def test_colour_cast_is_matched_to_the_targets_skin_and_the_background_is_untouched(detector, wild: Path) -> None:
    photo = load_image(wild / "obama_720p.jpg")
    faces = detector.detect([photo])[0]
    swapper = FaceSwapper(generator=cast_generator(), detector=detector.detect)
    source = swapper.source_face(load_image(wild / "Tom_Cruise_avp_2014_4.jpg"))
    matched = swapper.swap_photo(source, photo, faces=faces)
    as_generated = dataclasses.replace(swapper, color_match="none").swap_photo(source, photo, faces=faces)
    inside = photo_mask(faces.landmarks[0], swapper.face_resolution, photo.shape) > 0.99
    assert inside.sum() > 2000  # the inner face at 720p
    target_lab, matched_lab, cast_lab = (mean_lab(image[inside]) for image in (photo, matched, as_generated))
    assert np.linalg.norm(cast_lab - target_lab) > 30  # the cast is strong: orange, not skin
    assert np.linalg.norm(matched_lab - target_lab) < 4  # ΔE of the mean inside the mask
    assert np.abs(matched[inside].astype(int) - photo[inside]).mean() > 3  # still the generator's face, not the photo
    outside = outside_region(faces.landmarks[0], swapper.face_resolution, photo.shape)
    assert outside.mean() > 0.8 and np.array_equal(matched[outside], photo[outside])


def test_colour_match_uses_the_generator_mask_when_it_drives_the_blend(detector, wild: Path) -> None:
    """With --mask generator the statistics come from the model's own mask: an empty mask changes nothing."""
    photo = load_image(wild / "obama_720p.jpg")
    faces = detector.detect([photo])[0]
    generator = masked_generator()
    swapper = FaceSwapper(generator=generator, detector=detector.detect)
    swapper.masker = load_masker(MaskOptions.parse("generator", blur=0.0), generator=generator)
    size = swapper.face_resolution
    face = torch.rand(3, size, size)
    empty = np.zeros((size, size), np.float32)
    pasted = swapper.paste_face(photo, photo, face, faces.landmarks[0], faces.boxes[0], own_mask=empty)
    assert np.array_equal(pasted, photo)


def test_colour_is_measured_on_skin_not_on_what_a_wide_mask_reaches(detector, wild: Path) -> None:
    """With the whole crop as blend mask (--mask box), the green painted around the face does not tint it."""
    photo = load_image(wild / "obama_720p.jpg")
    faces = detector.detect([photo])[0]
    swapper = FaceSwapper(generator=cast_generator(), detector=detector.detect)
    swapper.masker = load_masker(MaskOptions.parse("box", blur=0.0))
    hull = photo_mask(faces.landmarks[0], swapper.face_resolution, photo.shape)
    painted = photo.copy()
    painted[(hull == 0) & ~outside_region(faces.landmarks[0], swapper.face_resolution, photo.shape)] = (0, 255, 0)
    source = swapper.source_face(load_image(wild / "Tom_Cruise_avp_2014_4.jpg"))
    result = swapper.swap_photo(source, painted, faces=faces)
    inside = hull > 0.99
    assert np.linalg.norm(mean_lab(result[inside]) - mean_lab(photo[inside])) < 4


def test_pixel_boost_sub_grids_are_exactly_the_per_sub_image_swaps(detector, wild: Path) -> None:
    photo = load_image(wild / "obama_720p.jpg")
    faces = detector.detect([photo])[0]
    generator = masked_generator()
    swapper = FaceSwapper(generator=generator, detector=detector.detect, pixel_boost=2)
    swapper.masker = load_masker(MaskOptions.parse("generator"), generator=generator)
    assert (swapper.template_resolution, swapper.face_resolution) == (32, 32)
    source = swapper.source_face(load_image(wild / "astronaut.png"))
    templates = to_tensor(align_face(photo, faces.landmarks[0], 32).crop)
    boosted, masks = swapper.swap_faces(source, templates)
    assert boosted.shape == (1, 3, 32, 32) and masks[0].shape == (32, 32)
    subs = torch.stack([templates[0, :, i::2, j::2] for i in range(2) for j in range(2)])  # the 4 strided 16 px grids
    expected, expected_masks = generator.swap_with_mask(source.expand(4, -1, -1, -1), subs)
    for index, (i, j) in enumerate((i, j) for i in range(2) for j in range(2)):
        assert torch.equal(boosted[0, :, i::2, j::2], expected[index].clamp(0, 1))
        assert np.array_equal(masks[0][i::2, j::2], expected_masks[index, 0].numpy())
        alone = generator.swap(source, subs[index:index + 1])[0]  # one sub-image on its own: same up to float order
        assert torch.allclose(boosted[0, :, i::2, j::2], alone, atol=1e-5)
    assert not torch.equal(boosted[0, :, 0::2, 0::2], boosted[0, :, 1::2, 1::2])  # four different swaps


def test_phases_split_and_interleave_exactly() -> None:
    crops = torch.arange(2 * 3 * 12 * 12, dtype=torch.float32).reshape(2, 3, 12, 12)
    phases = split_phases(crops, 3)
    assert phases.shape == (18, 3, 4, 4)
    assert torch.equal(phases[9 + 3 * 2 + 1], crops[1, :, 2::3, 1::3])
    assert torch.equal(interleave_phases(phases, 3), crops)


def test_pixel_boost_limits_are_one_line() -> None:
    with pytest.raises(ZooError, match=r"^--pixel-boost 5: must be 1 \(off\) to 4$"):
        check_pixel_boost(5, 64, 64)
    with pytest.raises(ZooError, match=r"^--pixel-boost 3: 3 × 512 px = 1536 px face crops exceed 1024 px; use at "
                                       r"most 2$"):
        check_pixel_boost(3, 512, 512)
    with pytest.raises(ZooError, match=r"^--pixel-boost 2: this model aligns its input at 16 px but returns 32 px"):
        check_pixel_boost(2, 16, 32)
    check_pixel_boost(4, 256, 256)
    check_pixel_boost(1, 16, 32)  # off: any model


@pytest.mark.parametrize(("boost", "resolution", "expected"), [
    ("0", 16, "error: --pixel-boost 0: must be 1 (off) to 4"),
    ("5", 16, "error: --pixel-boost 5: must be 1 (off) to 4"),
    ("4", 512, "error: --pixel-boost 4: 4 × 512 px = 2048 px face crops exceed 1024 px; use at most 2"),
])
def test_cli_pixel_boost_out_of_range_is_one_line(boost: str, resolution: int, expected: str, detector_cli: list[str],
                                                  wild: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = {"channels": 2, "max_channels": 4, "downsamples": 6, "blocks": 0, "id_dim": 4} if resolution > 16 else TINY
    model = save(tmp_path / "model", zoo.build("backbone", "masked_swap", resolution=resolution, **args), "masked_swap")
    out = tmp_path / "out.png"
    code, stdout, stderr = run_cli(["swap", "-m", model, *detector_cli, "-s", wild / "astronaut.png",
                                    "-t", wild / "obama_720p.jpg", "-o", out, "--pixel-boost", boost], capsys)
    assert (code, stdout, stderr) == (2, "", expected + "\n")
    assert not out.exists()


def test_cli_pixel_boost_and_colour_match_on_a_photo(detector_cli: list[str], wild: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    model = save(tmp_path / "model", masked_generator(), "masked_swap")
    target = load_image(wild / "obama_720p.jpg")
    outputs = {}
    for name, extra in {"plain": [], "boost": ["--pixel-boost", "2"], "raw": ["--color-match", "none"]}.items():
        outputs[name] = tmp_path / f"{name}.png"
        code, stdout, stderr = run_cli(["swap", "-m", model, *detector_cli, "-s", wild / "astronaut.png",
                                        "-t", wild / "obama_720p.jpg", "-o", outputs[name], *extra], capsys)
        assert (code, stdout, stderr) == (0, f"{outputs[name]}\n", "")
    images = {name: load_image(path) for name, path in outputs.items()}
    assert all(image.shape == target.shape for image in images.values())
    assert not np.array_equal(images["boost"], images["plain"]) and not np.array_equal(images["raw"], images["plain"])
    assert all(not np.array_equal(image, target) for image in images.values())


def test_generator_mask_drives_the_blend_by_default(detector_cli: list[str], wild: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A model with its own mask pastes with it unless a --mask option says otherwise; others keep the hull."""
    model = save(tmp_path / "model", masked_generator(), "masked_swap")
    images = {}
    for name, extra in {"default": [], "generator": ["--mask", "generator"], "hull": ["--mask", "hull"]}.items():
        out = tmp_path / f"{name}.png"
        code, _, stderr = run_cli(["swap", "-m", model, *detector_cli, "-s", wild / "astronaut.png",
                                   "-t", wild / "obama_720p.jpg", "-o", out, *extra], capsys)
        assert code == 0, stderr
        images[name] = load_image(out)
    assert np.array_equal(images["default"], images["generator"])
    assert not np.array_equal(images["default"], images["hull"])
    assert default_mask(masked_generator()) == "generator"
    assert default_mask(cast_generator()) is None
