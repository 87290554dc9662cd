"""zoo_faces.image: real-world files in, upright RGB uint8 out; unreadable files are one clear line."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.errors import ZooError
from zoo_faces.image import ImageError, load_image, save_image, to_tensor, to_uint8


def _pattern(height: int = 24, width: int = 40) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_png_roundtrip_is_exact(tmp_path):
    image = _pattern()
    save_image(tmp_path / "a.png", image)
    assert np.array_equal(load_image(tmp_path / "a.png"), image)


def test_tensor_conversions_roundtrip():
    image = _pattern()
    tensor = to_tensor(image)
    assert tensor.shape == (1, 3, 24, 40) and tensor.dtype == torch.float32
    assert 0.0 <= float(tensor.min()) and float(tensor.max()) <= 1.0
    assert np.array_equal(to_uint8(tensor), image)
    assert np.array_equal(to_uint8(tensor[0]), image)


def test_to_uint8_clips_out_of_range_values():
    tensor = torch.tensor([-0.5, 0.5, 1.5]).view(3, 1, 1)
    assert to_uint8(tensor).ravel().tolist() == [0, 128, 255]


def test_save_tensor(tmp_path):
    image = _pattern()
    save_image(tmp_path / "t.png", to_tensor(image))
    assert np.array_equal(load_image(tmp_path / "t.png"), image)


def test_exif_rotated_phone_photo_comes_out_upright(tmp_path):
    # Stored landscape (red left, blue right), EXIF orientation 6: display = rotate 90° clockwise.
    stored = np.zeros((20, 40, 3), dtype=np.uint8)
    stored[:, :20] = (255, 0, 0)
    stored[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    upright = load_image(tmp_path / "phone.jpg")
    assert upright.shape == (40, 20, 3)
    assert upright[5, 10, 0] > 200 and upright[5, 10, 2] < 60  # red ends on top
    assert upright[35, 10, 2] > 200 and upright[35, 10, 0] < 60  # blue at the bottom


def test_png_with_alpha_is_composited_on_white(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., :3] = (10, 200, 30)
    rgba[:2, :, 3] = 255  # opaque top half, transparent bottom half
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    image = load_image(tmp_path / "alpha.png")
    assert image.shape == (4, 4, 3)
    assert image[0, 0].tolist() == [10, 200, 30]
    assert image[3, 3].tolist() == [255, 255, 255]


def test_16_bit_greyscale_png_keeps_its_range(tmp_path):
    grey = np.array([[0, 0x8000, 0xFFFF]], dtype=np.uint16)
    Image.fromarray(grey).save(tmp_path / "deep.png")
    image = load_image(tmp_path / "deep.png")
    assert image.shape == (1, 3, 3)
    assert image[0, :, 0].tolist() == [0, 128, 255]
    assert np.array_equal(image[..., 0], image[..., 2])


def test_greyscale_and_palette_become_rgb(tmp_path):
    Image.fromarray(np.full((3, 3), 77, np.uint8), "L").save(tmp_path / "grey.png")
    assert load_image(tmp_path / "grey.png")[1, 1].tolist() == [77, 77, 77]
    palette = Image.fromarray(_pattern(8, 8)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    palette.save(tmp_path / "palette.png")
    loaded = load_image(tmp_path / "palette.png")
    assert loaded.shape == (8, 8, 3) and np.array_equal(loaded, np.asarray(palette.convert("RGB")))


def _jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_pattern(64, 64)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_corrupt_jpeg(tmp_path):
    data = _jpeg_bytes()
    path = tmp_path / "corrupt.jpg"
    path.write_bytes(data[:300] + b"\x00" * (len(data) - 300))
    with pytest.raises(ImageError) as caught:
        load_image(path)
    assert str(caught.value) == f"cannot read image {path}: corrupt image data"


def test_truncated_png(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(_pattern(64, 64)).save(buffer, "PNG")
    path = tmp_path / "truncated.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageError) as caught:
        load_image(path)
    assert str(caught.value) == f"cannot read image {path}: file is truncated"


def test_non_image_file(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("these are not pixels\n")
    with pytest.raises(ImageError) as caught:
        load_image(path)
    assert str(caught.value) == f"cannot read image {path}: not an image file (unrecognised format)"
    assert isinstance(caught.value, ZooError)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ImageError, match=r"no such file$"):
        load_image(tmp_path / "absent.png")
    with pytest.raises(ImageError, match=r"it is a directory$"):
        load_image(tmp_path)


def test_save_into_missing_directory(tmp_path):
    path = tmp_path / "nowhere" / "out.png"
    with pytest.raises(ImageError) as caught:
        save_image(path, _pattern())
    assert str(caught.value) == f"cannot write image {path}: output directory {path.parent} does not exist"


def test_save_rejects_unknown_suffix_and_wrong_arrays(tmp_path):
    with pytest.raises(ImageError, match="unknown file extension"):
        save_image(tmp_path / "out.nope", _pattern())
    with pytest.raises(ImageError, match=r"expected an H×W×3 uint8 array, got float64"):
        save_image(tmp_path / "out.png", np.zeros((2, 2, 3)))
