"""`zoo export --onnx` and `zoo swap --runtime onnx`: the ONNX generator matches PyTorch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from video_clips import (  # noqa: F401 - fixtures
    GENERATOR_ARGS,
    detector_cli,
    run_zoo,
    source_photo,
    video_detector_args,
)

import zoo
from zoo.modelfolder import PartSpec, save_model_folder
from zoo_faces.image import load_image
from zoo_video.onnx_generator import ONNX_NAME, load_onnx_generator


MASKED_ARGS = {"resolution": 16, "channels": 8, "max_channels": 16, "downsamples": 1, "blocks": 1, "id_dim": 16}


@pytest.fixture()
def model(tmp_path: Path) -> tuple[Path, torch.nn.Module]:
    torch.manual_seed(1)
    generator = zoo.build("backbone", "adain_swap", **GENERATOR_ARGS).eval()
    folder = tmp_path / "model"
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec("adain_swap", generator.build_args())},
                      info={"name": "onnx-test"})
    return folder, generator


def test_exported_generator_matches_pytorch(model, capsys: pytest.CaptureFixture[str]) -> None:
    folder, generator = model
    code, stdout, stderr = run_zoo(["export", "--onnx", folder], capsys)
    assert (code, stdout, stderr) == (0, f"{folder / ONNX_NAME}\n", "")
    onnx_generator = load_onnx_generator(folder)
    assert (onnx_generator.input_resolution, onnx_generator.output_resolution) == (32, 32)
    for batch in (1, 5):  # the batch size is free
        sources, templates = torch.rand(batch, 3, 32, 32), torch.rand(batch, 3, 32, 32)
        expected = generator.swap(sources, templates)
        assert (onnx_generator.swap(sources, templates) - expected).abs().max() <= 1e-4


def test_swap_runtime_onnx_and_stale_exports(model, video_detector_args: dict[str, str], source_photo: Path,
                                             assets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, generator = model
    target = assets / "faces" / "wild" / "messi5.jpg"  # small: four swaps stay quick
    argv = ["swap", "-m", folder, *detector_cli(video_detector_args), "-s", source_photo, "-t", target]
    code, _, stderr = run_zoo([*argv, "-o", tmp_path / "onnx.png", "--runtime", "onnx"], capsys)
    assert code == 2 and stderr == (f"error: {folder} has no {ONNX_NAME}: run `zoo export --onnx {folder}` first "
                                    "(or drop --runtime onnx)\n")
    run_zoo(["export", "--onnx", folder], capsys)
    for runtime in ("onnx", "torch"):
        code, _, stderr = run_zoo([*argv, "-o", tmp_path / f"{runtime}.png", "--runtime", runtime], capsys)
        assert code == 0, stderr
    difference = np.abs(load_image(tmp_path / "onnx.png").astype(int) - load_image(tmp_path / "torch.png"))
    assert difference.max() <= 1  # rounding to 8 bits at most
    from safetensors.torch import save_file

    with torch.no_grad():
        generator.to_rgb.bias.add_(0.5)  # retrained in place: the export no longer matches the weights
    save_file({k: v.contiguous() for k, v in generator.state_dict().items()}, str(folder / "model.safetensors"))
    code, _, stderr = run_zoo([*argv, "-o", tmp_path / "stale.png", "--runtime", "onnx"], capsys)
    assert code == 2 and stderr == (f"error: {folder / ONNX_NAME} was exported from other weights than "
                                    f"{folder / 'model.safetensors'}: run `zoo export --onnx --force {folder}` again\n")
    assert not (tmp_path / "stale.png").exists()


def test_an_existing_export_is_replaced_only_with_force(model, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = model
    (folder / ONNX_NAME).write_bytes(b"kept for another runtime")
    code, stdout, stderr = run_zoo(["export", "--onnx", folder], capsys)
    assert (code, stdout, stderr) == (2, "", f"error: {folder / ONNX_NAME} already exists (not from these weights): "
                                             "pass --force to replace it\n")
    assert (folder / ONNX_NAME).read_bytes() == b"kept for another runtime"
    assert run_zoo(["export", "--onnx", "--force", folder], capsys)[0] == 0
    code, _, stderr = run_zoo(["export", "--onnx", folder], capsys)
    assert (code, stderr) == (2, f"error: {folder / ONNX_NAME} already exists (exported from these weights): "
                                 "pass --force to replace it\n")


def test_a_masked_generator_exports_its_blend_mask(tmp_path: Path, video_detector_args: dict[str, str],
                                                   source_photo: Path, assets: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The quickstart's generator predicts where its face is; through ONNX Runtime that mask must still
    drive the paste-back (the default), or the two runtimes blend different regions."""
    torch.manual_seed(2)
    generator = zoo.build("backbone", "masked_swap", **MASKED_ARGS).eval()
    folder = tmp_path / "masked"
    save_model_folder(folder, {"generator": generator}, {"generator": PartSpec("masked_swap", generator.build_args())},
                      info={"name": "onnx-masked"})
    assert run_zoo(["export", "--onnx", folder], capsys)[0] == 0
    onnx_generator = load_onnx_generator(folder, wants_mask=True)
    sources, templates = torch.rand(3, 3, 16, 16), torch.rand(3, 3, 16, 16)
    for exported, expected in zip(onnx_generator.swap_with_mask(sources, templates),
                                  generator.swap_with_mask(sources, templates)):
        assert exported.shape == expected.shape and (exported - expected).abs().max() <= 1e-4
    target = assets / "faces" / "wild" / "messi5.jpg"
    argv = ["swap", "-m", folder, *detector_cli(video_detector_args), "-s", source_photo, "-t", target]
    for runtime in ("onnx", "torch"):
        code, _, stderr = run_zoo([*argv, "-o", tmp_path / f"{runtime}.png", "--runtime", runtime], capsys)
        assert code == 0, stderr
    difference = np.abs(load_image(tmp_path / "onnx.png").astype(int) - load_image(tmp_path / "torch.png"))
    assert difference.max() <= 1


def test_a_generator_with_a_prior_exports_with_its_compositor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """faces128's generator corrects the classical compositor's swap: the compositor (colour transfer,
    Laplacian pyramid) is part of the graph, at the core and the grown resolution."""
    torch.manual_seed(3)
    generator = zoo.build("backbone", "masked_swap", **{**MASKED_ARGS, "downsamples": 2},
                          prior="classical_compositor")
    generator.grow(32)
    generator.set_fade(1.0)
    with torch.no_grad():
        for head in (generator.to_rgb, generator.updates[0].to_rgb):
            head.weight.normal_(0, 0.1)  # a correction that is not zero, so the heads are exercised
    folder = tmp_path / "prior"
    save_model_folder(folder, {"generator": generator.eval()},
                      {"generator": PartSpec("masked_swap", generator.build_args())}, info={"name": "onnx-prior"})
    assert run_zoo(["export", "--onnx", folder], capsys)[0] == 0
    sources, templates = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32)
    exported, mask = load_onnx_generator(folder, wants_mask=True).swap_with_mask(sources, templates)
    expected, expected_mask = generator.swap_with_mask(sources, templates)
    assert (exported - expected).abs().max() <= 1e-4 and (mask - expected_mask).abs().max() <= 1e-4
    assert (expected - templates).abs().max() > 0.2  # a swap, not the template passed through


def test_a_prior_that_runs_dlib_refuses_onnx_export_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The compositor's expression warp calls dlib per swap: a trace would freeze one batch's landmarks."""
    generator = zoo.build("backbone", "masked_swap", **{**MASKED_ARGS, "downsamples": 2},
                          prior={"name": "classical_compositor", "expression": 0.5})
    folder = tmp_path / "expression-prior"
    save_model_folder(folder, {"generator": generator.eval()},
                      {"generator": PartSpec("masked_swap", generator.build_args())}, info={"name": "onnx-dlib"})
    code, _, stderr = run_zoo(["export", "--onnx", folder], capsys)
    assert code != 0
    assert stderr.strip().splitlines() == [
        "error: a classical_compositor with expression above 0 runs a landmarker (dlib) on every swap, which cannot "
        "be traced or exported to ONNX: use --runtime torch for this model"]
    assert sorted(p.name for p in folder.iterdir() if "onnx" in p.name) == []
