"""Every image `zoo swap` writes says it is a face swap made by faceswap-zoo, with the model and its revision."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
from PIL import Image

import zoo
from zoo.modelfolder import PartSpec, save_model_folder
from zoo_inference.provenance import DIGITAL_SOURCE_TYPE, read_provenance
from zoo_inference.swap import load_swapper, swap_files


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    generator = zoo.build("backbone", "adain_swap", resolution=16, channels=8, max_channels=16, downsamples=1,
                          blocks=1, id_dim=16)
    folder = tmp_path_factory.mktemp("provenance") / "model"
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec("adain_swap", generator.build_args())},
                      info={"name": "provenance-test"})
    return folder


def test_png_and_jpeg_outputs_carry_provenance(model_dir: Path, assets: Path, tmp_path: Path) -> None:
    wild = assets / "faces" / "wild"
    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    swapper = load_swapper(model_dir, "retinaface", {"body": "mobilenet0.25", "weights": str(weights), "max_size": 480})
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()[:16]
    expected = {
        "Software": f"faceswap-zoo {zoo.__version__}",
        "Description": "AI face swap: a face in this image was replaced by a face-swap model (synthetic media)",
        "DigitalSourceType": DIGITAL_SOURCE_TYPE,
        "faceswap-zoo:made_by": "faceswap-zoo",
        "faceswap-zoo:model": str(model_dir),
        "faceswap-zoo:revision": f"sha256:{digest}",
    }
    for name in ("out.png", "out.jpg"):
        folder = tmp_path / name.replace(".", "_")  # each its own folder: both would write out_compare.png
        folder.mkdir()
        swap_files(swapper, wild / "astronaut.png", wild / "astronaut.png", folder / name, compare=True)
        assert read_provenance(folder / name) == expected
        assert read_provenance(folder / "out_compare.png") == expected
    with Image.open(tmp_path / "out_jpg" / "out.jpg") as jpeg:
        assert jpeg.getexif()[0x0131] == f"faceswap-zoo {zoo.__version__}"  # EXIF Software, what exiftool shows
    with Image.open(tmp_path / "out_png" / "out.png") as png:
        assert png.text["faceswap-zoo:made_by"] == "faceswap-zoo"
