"""A downloaded model folder is untrusted input: bounds, weight paths, tensor values, replacement."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from test_modelfolder import edit_config, folder, load_error, save_tiny, saved  # noqa: F401 - fixtures
from video_clips import run_zoo

from zoo.errors import WeightsError
from zoo.modelfolder import ModelFolderError


def test_memory_bomb_in_config_is_refused_before_allocating(folder):
    # 10^5 channels would be a terabyte-sized generator: the meta-device build is compared with the
    # file's header first, so nothing that large is ever allocated
    edit_config(folder, lambda c: c["parts"]["generator"]["args"].update(channels=100_000, max_channels=100_000))
    message = load_error(folder, WeightsError)
    assert message.startswith(f"{folder / 'model.safetensors'}: weights do not fit backbone 'adain_swap' (part "
                              "'generator'): ")
    assert "shape mismatches: identity.body.0.0.weight file (4, 3, 3, 3) vs model (100000, 3, 3, 3)" in message


def test_weights_in_another_repo_are_refused(folder, assets, capsys):
    def point_elsewhere(config):
        config["parts"]["generator"]["args"].update(identity={"name": "mobilefacenet",
                                                              "weights": "hf://someone-else/enc/w.safetensors"})

    path = edit_config(folder, point_elsewhere)
    assert load_error(folder, ModelFolderError) == (
        f"{path}: parts.generator.args.identity.weights names weights outside this model "
        "('hf://someone-else/enc/w.safetensors'); a model's weights come from its own folder (load with "
        "allow_external_weights=True to trust this config)"
    )
    photo = assets / "faces" / "wild" / "messi5.jpg"
    code, _, stderr = run_zoo(["swap", "-m", folder, "-s", photo, "-t", photo, "-o", folder.parent / "out.png"], capsys)
    # the CLI offers no trust switch, and says what to do instead
    assert (code, stderr) == (2, f"error: {path}: parts.generator.args.identity.weights names weights outside this "
                                 "model ('hf://someone-else/enc/w.safetensors'); a model's weights come from its own "
                                 "folder (the CLI never loads those: copy the file into the model folder and name "
                                 "it there)\n")
    for escape in ("../elsewhere.safetensors", "/etc/passwd"):
        edit_config(folder, lambda c: c["parts"]["generator"]["args"]["identity"].update(weights=escape))
        assert f"names weights outside this model ({escape!r})" in load_error(folder, ModelFolderError)



def test_non_finite_weights_are_refused_with_the_tensor_name(folder):
    from safetensors.torch import load_file

    weights = folder / "model.safetensors"
    tensors = load_file(str(weights))
    name = sorted(n for n, t in tensors.items() if t.is_floating_point())[0]
    tensors[name] = torch.full_like(tensors[name], float("nan"))
    save_file(tensors, str(weights), metadata={"format": "pt"})
    assert load_error(folder, WeightsError) == (
        f"{weights}: tensor '{name}' holds NaN or infinite values: the model is broken, refusing to use it"
    )


def test_config_too_deep_or_too_large(folder):
    config = folder / "config.json"
    config.write_text("[" * 100_000 + "]" * 100_000)
    assert load_error(folder, ModelFolderError) == f"{config}: nested too deeply to be a model config"
    config.write_text(" " * (1024 * 1024 + 1))
    assert load_error(folder, ModelFolderError) == (
        f"{config}: {1024 * 1024 + 1} bytes is more than a model config may hold (1048576)"
    )


def test_overwrite_replaces_only_a_model_folder(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    with pytest.raises(ModelFolderError) as error:
        save_tiny(mine, overwrite=True)
    assert str(error.value) == (f"{mine}: holds files that are not a faceswap-zoo model folder (notes.txt); nothing "
                                "was replaced: choose a new or empty folder")
    assert (mine / "notes.txt").read_text() == "my notes"


def test_weights_inside_the_folder_resolve_there_even_through_cache_symlinks(tmp_path):
    from zoo.modelfolder.validate import confine_weights

    snapshot, blobs = tmp_path / "snapshots" / "abc", tmp_path / "blobs"
    snapshot.mkdir(parents=True)
    blobs.mkdir()
    (blobs / "1234").write_bytes(b"weights")
    (snapshot / "enc.safetensors").symlink_to(blobs / "1234")  # how huggingface_hub lays out a snapshot
    args = {"identity": {"name": "mobilefacenet", "weights": "enc.safetensors"}}
    assert confine_weights("adain_swap", args, snapshot, "parts.generator.args") == {
        "identity": {"name": "mobilefacenet", "weights": str(snapshot / "enc.safetensors")}}
    trusted = {"identity": {"name": "mobilefacenet", "weights": "hf://someone-else/enc/w.safetensors"}}
    assert confine_weights("adain_swap", trusted, snapshot, "parts.generator.args", allow_external=True) == trusted
