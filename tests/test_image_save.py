"""Photos the zoo writes keep what the target photo carried: colour profile, EXIF, and a chosen JPEG/WebP quality."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from video_clips import run_zoo, video_model  # noqa: F401 - fixture
from zoo_faces.image import load_image, save_image
from zoo_inference.provenance import read_provenance

MAKE, MODEL, TAKEN = 0x010F, 0x0110, 0x9003
ORIENTATION, EXIF_IFD = 0x0112, 0x8769
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture(scope="module")
def camera_photo(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A phone-style JPEG: stored turned on its side with Orientation=6, an ICC profile, camera EXIF."""
    with Image.open(assets / "faces" / "wild" / "obama_720p.jpg") as photo:
        upright = photo.convert("RGB").resize((320, 180))
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "ZooCam", "Model 7", 6
    exif.get_ifd(EXIF_IFD)[TAKEN] = "2026:12:01 10:00:00"
    path = tmp_path_factory.mktemp("camera") / "phone.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, quality=95, icc_profile=ICC, exif=exif.tobytes())
    return path


def _exif(path: Path) -> tuple[dict[int, object], dict[int, object]]:
    with Image.open(path) as image:
        exif = image.getexif()
        return dict(exif), dict(exif.get_ifd(EXIF_IFD))


def _icc(path: Path) -> bytes | None:
    with Image.open(path) as image:
        return image.info.get("icc_profile")


def _check_carried(path: Path) -> None:
    main, sub = _exif(path)
    assert _icc(path) == ICC
    assert (main[MAKE], main[MODEL], main[ORIENTATION]) == ("ZooCam", "Model 7", 1)
    assert sub[TAKEN] == "2026:12:01 10:00:00"


def test_save_image_carries_icc_and_exif_and_merges_the_text(camera_photo: Path, tmp_path: Path) -> None:
    upright = load_image(camera_photo)
    assert upright.shape == (180, 320, 3)
    for suffix in (".jpg", ".webp", ".png"):
        out = tmp_path / f"copy{suffix}"
        save_image(out, upright, {"Software": "faceswap-zoo test", "faceswap-zoo:model": "m"}, like=camera_photo)
        _check_carried(out)
        assert read_provenance(out)["faceswap-zoo:model"] == "m"
        assert load_image(out).shape == (180, 320, 3)  # Orientation 1: nothing turns it again
    plain = tmp_path / "plain.jpg"
    save_image(plain, upright)
    assert _icc(plain) is None and _exif(plain) == ({}, {})
    umask = os.umask(0o022)
    try:
        save_image(tmp_path / "shared.jpg", upright)
    finally:
        os.umask(umask)
    assert (tmp_path / "shared.jpg").stat().st_mode & 0o777 == 0o644  # as open() would make it, not mkstemp's 0600


def test_quality_changes_the_size_and_is_checked(camera_photo: Path, tmp_path: Path) -> None:
    upright = load_image(camera_photo)
    sizes = {}
    for quality in (30, 95):
        for suffix in (".jpg", ".webp"):
            save_image(tmp_path / f"q{quality}{suffix}", upright, quality=quality)
            sizes[quality, suffix] = (tmp_path / f"q{quality}{suffix}").stat().st_size
    assert sizes[30, ".jpg"] < sizes[95, ".jpg"] / 2 and sizes[30, ".webp"] < sizes[95, ".webp"] / 2
    from zoo_faces.image import ImageError

    with pytest.raises(ImageError, match=r"^cannot write image .*bad\.jpg: quality 0 is outside 1\.\.100$"):
        save_image(tmp_path / "bad.jpg", upright, quality=0)
    assert not (tmp_path / "bad.jpg").exists()


def test_zoo_swap_keeps_the_target_metadata_with_provenance_and_quality(
        camera_photo: Path, video_model: Path, assets: Path, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    source = assets / "faces" / "wild" / "astronaut.png"
    sizes = {}
    for quality in ("30", "95"):
        out = tmp_path / f"swapped{quality}.jpg"
        code, stdout, err = run_zoo(["swap", "-m", video_model, "-s", source, "-t", camera_photo, "-o", out,
                                     "--quality", quality], capsys)
        assert code == 0, err
        assert stdout == f"{out}\n"
        _check_carried(out)
        provenance = read_provenance(out)
        assert provenance["faceswap-zoo:made_by"] == "faceswap-zoo"
        assert provenance["faceswap-zoo:model"] == str(video_model)
        assert load_image(out).shape == (180, 320, 3)
        sizes[quality] = out.stat().st_size
    assert sizes["30"] < sizes["95"]
    png = tmp_path / "swapped.png"
    code, _, err = run_zoo(["swap", "-m", video_model, "-s", source, "-t", camera_photo, "-o", png,
                            "--quality", "50"], capsys)
    assert code == 0
    assert err.splitlines()[0] == (f"warning: --quality applies to JPEG and WebP outputs; {png} is written losslessly: "
                                   "--quality ignored")
    _check_carried(png)
    assert read_provenance(png)["faceswap-zoo:model"] == str(video_model)


def test_quality_outside_1_to_100_is_a_usage_error(camera_photo: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.jpg"
    code, _, err = run_zoo(["swap", "-m", "m", "-s", camera_photo, "-t", camera_photo, "-o", out, "--quality", "101"],
                           capsys)
    assert code == 64
    assert err.splitlines()[-1] == "Error: Invalid value for '--quality': 101 is not in the range 1<=x<=100."
    assert not out.exists()


def test_detect_draw_keeps_the_metadata_at_its_quality(camera_photo: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    sizes = []
    for quality in ("20", "95"):
        drawn = tmp_path / f"drawn{quality}.jpg"
        code, _, err = run_zoo(["detect", camera_photo, "--draw", drawn, "--quality", quality], capsys)
        assert code == 0, err
        _check_carried(drawn)
        sizes.append(drawn.stat().st_size)
        assert read_provenance(drawn) == {}  # a drawing is not a swap: no synthetic-media claim
    assert sizes[0] < sizes[1]
    assert np.asarray(load_image(tmp_path / "drawn95.jpg")).shape == (180, 320, 3)
