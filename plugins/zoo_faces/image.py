"""Reading and writing photos as they come from phones, scanners and the web.

Everything downstream expects an upright H×W×3 uint8 RGB array, so the oddities of real files
(EXIF rotation, alpha, 16-bit, greyscale, palettes, damaged data) are settled here, once, and
anything unreadable becomes one :class:`ImageError` line naming the file.
"""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from zoo.atomic import write_atomic
from zoo.errors import ZooError
from zoo_faces.defaults import DEFAULT_QUALITY, LOSSY_SUFFIXES

__all__ = ["ImageError", "check_image_name", "load_image", "save_image", "to_tensor", "to_uint8"]

_WHITE = (255, 255, 255)
_EXIF_DESCRIPTION = 0x010E
_EXIF_SOFTWARE = 0x0131
_EXIF_ORIENTATION = 0x0112
_EXIF_SUFFIXES = frozenset({".jpg", ".jpeg", ".webp", ".png", ".tif", ".tiff"})


class ImageError(ZooError):
    """An image file that cannot be read or written."""


def load_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read ``path`` as an upright H×W×3 uint8 RGB array (EXIF orientation applied)."""
    path = Path(path)
    _refuse_special_file(path)
    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except FileNotFoundError:
        raise ImageError(f"cannot read image {path}: no such file") from None
    except IsADirectoryError:
        raise ImageError(f"cannot read image {path}: it is a directory") from None
    except PermissionError:
        raise ImageError(f"cannot read image {path}: permission denied") from None
    except UnidentifiedImageError:
        raise ImageError(f"cannot read image {path}: not an image file (unrecognised format)") from None
    except Image.DecompressionBombError as error:
        raise ImageError(f"cannot read image {path}: too large ({error})") from None
    except (OSError, SyntaxError, ValueError) as error:
        reason = "file is truncated" if "truncated" in str(error) else "corrupt image data"
        raise ImageError(f"cannot read image {path}: {reason}") from None
    return _to_rgb_array(image)


def _refuse_special_file(path: Path) -> None:
    """A FIFO, socket or device named like a photo would block the read forever (or never end)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing, unreadable, a name too long: ``Image.open`` says which
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise ImageError(f"cannot read image {path}: not a regular file (a FIFO, socket or device)")


def check_image_name(path: str | os.PathLike[str], what: str) -> None:
    """Refuse an output name :func:`save_image` could not write, before the work that would fill it."""
    suffix = Path(path).suffix.lower()
    if suffix in Image.registered_extensions():
        return
    common = ".png, .jpg, .webp, .bmp, .tif"
    if not suffix:
        raise ImageError(f"{what} has no file extension: give an image file name (e.g. {Path(path)}.png; {common})")
    raise ImageError(f"{what}: unknown file extension {suffix} for an image (use {common})")


def _to_rgb_array(image: Image.Image) -> np.ndarray:
    """Settle the mode: high-bit-depth greys keep their range, alpha is composited on white."""
    if image.mode.startswith("I") or image.mode == "F":
        return _high_depth_grey(np.asarray(image), image.mode)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("LA", "PA", "La"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa"):
        background = Image.new("RGB", image.size, _WHITE)
        background.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        image = background
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.array(image, dtype=np.uint8)  # a writable copy: PIL-backed arrays are read-only


def _high_depth_grey(values: np.ndarray, mode: str) -> np.ndarray:
    """16-bit greys keep their high byte; 32-bit ints are assumed 16-bit; floats are 0..1 or 0..255."""
    if mode == "F":
        peak = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
        grey = np.clip(values * (255.0 / peak), 0.0, 255.0).round().astype(np.uint8)
    elif mode.startswith("I;16") or values.max(initial=0) > 255:
        grey = (np.clip(values, 0, 65535).astype(np.uint32) >> 8).astype(np.uint8)
    else:
        grey = np.clip(values, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))


def save_image(
    path: str | os.PathLike[str],
    image: np.ndarray | torch.Tensor,
    text: Mapping[str, str] | None = None,
    quality: int = DEFAULT_QUALITY,
    like: str | os.PathLike[str] | None = None,
) -> None:
    """Write an H×W×3 uint8 array or a (1×)3×H×W float tensor in [0,1]; format from the suffix.

    ``text`` (e.g. provenance) goes into PNG text chunks, or for JPEG/WebP/TIFF into EXIF:
    ``Software`` from its ``"Software"`` entry and ``ImageDescription`` as JSON of all of it.
    ``quality`` (1–100) applies to JPEG and WebP. ``like`` is the photo this one was made from: its
    ICC profile (so colours look the same) and EXIF (camera, date, GPS, ...) are carried over, with
    Orientation set to 1 because :func:`load_image` already turned the pixels upright; ``text`` is
    merged into that EXIF, never dropped. The file is encoded in memory and renamed into place
    (:func:`zoo.atomic.write_atomic`), so an interrupted write never leaves a truncated image.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ImageError(f"cannot write image {path}: output directory {path.parent} does not exist")
    array = to_uint8(image) if isinstance(image, torch.Tensor) else _checked_uint8(image, path)
    check_image_name(path, f"cannot write image {path}")
    image_format = Image.registered_extensions()[path.suffix.lower()]
    encoded = io.BytesIO()
    try:
        Image.fromarray(array).save(encoded, format=image_format, **_encoding(path, quality),
                                    **_metadata(path, text or {}, _carried(like)))
        write_atomic(path, encoded.getvalue())
    except (ValueError, KeyError) as error:  # PIL: a format it cannot write
        raise ImageError(f"cannot write image {path}: {error}") from None
    except OSError as error:
        raise ImageError(f"cannot write image {path}: {error.strerror or error}") from None


def _encoding(path: Path, quality: int) -> dict[str, Any]:
    if not 1 <= quality <= 100:
        raise ImageError(f"cannot write image {path}: quality {quality} is outside 1..100")
    return {"quality": quality} if path.suffix.lower() in LOSSY_SUFFIXES else {}


def _carried(like: str | os.PathLike[str] | None) -> tuple[bytes | None, Image.Exif]:
    """The ICC profile and EXIF of the photo an output was made from (none for a file without them)."""
    if like is None:
        return None, Image.Exif()
    try:
        with Image.open(like) as original:
            exif = original.getexif()
            icc = original.info.get("icc_profile")
    except (OSError, SyntaxError, ValueError):  # it was read once already; an odd header only loses metadata
        return None, Image.Exif()
    if _EXIF_ORIENTATION in exif:
        exif[_EXIF_ORIENTATION] = 1  # the pixels were turned upright on load
    return icc or None, exif


def _metadata(path: Path, text: Mapping[str, str], carried: tuple[bytes | None, Image.Exif]) -> dict[str, Any]:
    icc, exif = carried
    suffix = path.suffix.lower()
    found: dict[str, Any] = {"icc_profile": icc} if icc and suffix in _EXIF_SUFFIXES else {}
    if suffix == ".png" and text:
        info = PngInfo()
        for key, value in text.items():
            info.add_text(key, value)  # iTXt when the value is not Latin-1
        found["pnginfo"] = info
    elif suffix in _EXIF_SUFFIXES and text:
        exif[_EXIF_DESCRIPTION] = json.dumps(dict(text), ensure_ascii=False)
        if "Software" in text:
            exif[_EXIF_SOFTWARE] = text["Software"]
    if suffix in _EXIF_SUFFIXES and len(exif):
        found["exif"] = exif.tobytes()
    return found  # BMP has nowhere to put any of it


def _checked_uint8(array: np.ndarray, path: Path) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ImageError(
            f"cannot write image {path}: expected an H×W×3 uint8 array, got {array.dtype} {tuple(array.shape)}"
        )
    return np.ascontiguousarray(array)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """H×W×3 uint8 RGB → 1×3×H×W float32 in [0, 1] (the zoo's image convention)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 uint8 array, got {image.dtype} {tuple(image.shape)}")
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """A 3×H×W or 1×3×H×W float tensor in [0, 1] → H×W×3 uint8 RGB (clipped, rounded)."""
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"expected a 3×H×W or 1×3×H×W tensor, got shape {tuple(image.shape)}")
    scaled = image.detach().float().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)
    return np.ascontiguousarray(scaled.permute(1, 2, 0).cpu().numpy())
