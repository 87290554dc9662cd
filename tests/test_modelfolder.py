"""Model folders: bit-exact save/load of registered parts, the model card, and every bad input."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

import zoo
from zoo.errors import ComponentNotFound, WeightsError
from zoo.modelfolder import (
    FORMAT_VERSION,
    ModelFolderError,
    PartSpec,
    load_model_folder,
    read_config,
    save_model_folder,
)

TINY = {"resolution": 16, "channels": 4, "max_channels": 8, "downsamples": 1, "blocks": 1, "id_dim": 8}
TINY_D = {"num_scales": 1, "layers": 1, "channels": 4, "max_channels": 8}


def tiny_generator(seed: int = 0, **overrides):
    torch.manual_seed(seed)
    generator = zoo.build("backbone", "adain_swap", **{**TINY, **overrides})
    generator.grow(fade_in=True)
    generator.set_fade(0.25)  # a buffer that differs from a fresh build: it must come from the file
    return generator


def save_tiny(directory: Path, generator=None, **kwargs) -> Path:
    generator = generator if generator is not None else tiny_generator()
    return save_model_folder(
        directory, {"generator": generator}, {"generator": PartSpec("adain_swap", generator.build_args())}, {}, **kwargs
    )


def assert_same_tensors(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> None:
    assert expected.keys() == found.keys()
    for name, tensor in expected.items():
        assert found[name].dtype == tensor.dtype, name
        assert torch.equal(found[name], tensor), name


def edit_config(folder: Path, edit) -> Path:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, torch.nn.Module, torch.nn.Module]:
    """One folder with a grown generator and a discriminator, a recipe and a sample grid."""
    root = tmp_path_factory.mktemp("saved")
    grid = root / "grid.png"
    Image.new("RGB", (8, 4), (200, 30, 30)).save(grid)
    generator = tiny_generator(seed=1)
    torch.manual_seed(2)
    discriminator = zoo.build("backbone", "patchgan", **TINY_D)
    info = {
        "name": "tiny-swap",
        "resolution": 32,
        "identity": {"encoder": "learned"},
        "stages": [{"stage": "train", "resolution": 16, "steps": 10}, {"stage": "grow", "resolution": 32}],
        "metrics": {"identity_similarity": 0.41, "psnr": 18.5},
    }
    folder = save_model_folder(
        root / "model",
        {"generator": generator, "discriminator": discriminator},
        {"generator": PartSpec("adain_swap", generator.build_args()), "discriminator": PartSpec("patchgan", TINY_D)},
        info,
        recipe_text="name: tiny\nseed: 0\n",
        sample_grid=grid,
        license="apache-2.0",
        card_intro="A tiny test swapper.",
        card_tags=("face-swap",),
    )
    return folder, generator, discriminator


def test_round_trip_is_bit_exact_for_every_part(saved):
    folder, generator, discriminator = saved
    loaded = load_model_folder(folder, parts=("generator", "discriminator"))
    assert_same_tensors(generator.state_dict(), loaded.parts["generator"].state_dict())
    assert_same_tensors(discriminator.state_dict(), loaded.parts["discriminator"].state_dict())
    assert not loaded.parts["generator"].training and not loaded.parts["discriminator"].training
    torch.manual_seed(3)
    source, template = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    assert torch.equal(loaded.parts["generator"].swap(source, template), generator.swap(source, template))
    assert loaded.info["resolution"] == 32


def test_default_load_builds_only_the_generator(saved):
    folder, _, _ = saved
    assert list(load_model_folder(folder).parts) == ["generator"]
    assert list(zoo.from_pretrained(folder).parts) == ["generator"]


def test_folder_layout_config_and_card(saved):
    folder, _, _ = saved
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "config.json", "discriminator.safetensors", "model.safetensors", "recipe.yaml", "sample_grid.png",
    ]
    umask = os.umask(0)
    os.umask(umask)
    assert folder.stat().st_mode & 0o777 == 0o777 & ~umask  # readable like any folder, not a private temp dir
    for file in folder.iterdir():  # the safetensors writer makes 0o600 files: a shared model must stay readable
        assert file.stat().st_mode & 0o777 == 0o666 & ~umask, file.name
    config = read_config(folder)
    assert config["format_version"] == FORMAT_VERSION and config["library_name"] == "faceswap-zoo"
    assert config["parts"]["generator"] == {
        "kind": "backbone", "name": "adain_swap", "args": {**TINY, "identity": "learned",
        "template_skip": True, "growth": [32], "max_channels": 8}, "file": "model.safetensors", "package": "faceswap-zoo",
    }
    assert config["parts"]["discriminator"]["file"] == "discriminator.safetensors"
    assert (folder / "recipe.yaml").read_text() == "name: tiny\nseed: 0\n"
    assert Image.open(folder / "sample_grid.png").size == (8, 4)

    from huggingface_hub import ModelCard

    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "faceswap-zoo" and card.data.license == "apache-2.0"
    assert {"face-swap", "faceswap-zoo", "adain_swap", "patchgan"} <= set(card.data.tags)
    assert card.text.startswith("\n# tiny-swap\n\nA tiny test swapper.\n")  # the exporter says what the model is
    assert "| 2 | grow | 32 |  |" in card.text
    assert "| identity_similarity | 0.41 |" in card.text
    assert "![sample grid](sample_grid.png)" in card.text
    assert "| identity | {\"encoder\": \"learned\"} |" in card.text


def test_weight_paths_are_cleared_and_not_needed_to_load(tmp_path):
    torch.manual_seed(4)
    encoder_file = tmp_path / "mfn.safetensors"
    save_file(zoo.build("backbone", "mobilefacenet").state_dict(), str(encoder_file))
    args = {**TINY, "identity": {"name": "mobilefacenet", "weights": str(encoder_file)}}
    generator = zoo.build("backbone", "adain_swap", **args)
    folder = save_model_folder(tmp_path / "model", {"generator": generator}, {"generator": PartSpec("adain_swap", args)}, {})
    config = read_config(folder)
    assert config["parts"]["generator"]["args"]["identity"] == {"name": "mobilefacenet", "weights": None}
    assert config["info"]["weights_sources"] == {"generator.identity.weights": str(encoder_file)}
    assert str(encoder_file) in (folder / "README.md").read_text()
    encoder_file.unlink()
    assert_same_tensors(generator.state_dict(), load_model_folder(folder).parts["generator"].state_dict())


def test_refuses_to_overwrite_unless_asked(tmp_path):
    first = save_tiny(tmp_path / "model")
    with pytest.raises(ModelFolderError) as error:
        save_tiny(tmp_path / "model")
    assert str(error.value) == f"{first}: folder exists and is not empty (pass overwrite=True to replace it)"
    replacement = tiny_generator(seed=9)
    save_tiny(tmp_path / "model", replacement, overwrite=True)
    assert_same_tensors(replacement.state_dict(), load_model_folder(first).parts["generator"].state_dict())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_crash_while_writing_leaves_no_folder(tmp_path, monkeypatch):
    import zoo.modelfolder.save

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zoo.modelfolder.save, "render_card", crash)
    with pytest.raises(KeyboardInterrupt):
        save_tiny(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def listing(names: list[str]) -> str:
    """The loader's way of naming keys: a count, the first five, how many more."""
    names = sorted(names)
    more = f", … ({len(names) - 5} more)" if len(names) > 5 else ""
    return f"{len(names)} unexpected keys: {', '.join(names[:5])}{more}"


def update_layer_keys(generator) -> list[str]:
    return [name for name in generator.state_dict() if name.startswith("updates.")]


def test_save_rejects_specs_that_would_not_load_back(tmp_path):
    generator = tiny_generator()
    with pytest.raises(ModelFolderError) as error:
        save_model_folder(tmp_path / "m", {"generator": generator}, {"generator": PartSpec("adain_swap", TINY)}, {})
    assert str(error.value) == (
        "part 'generator': backbone 'adain_swap' built from the given args does not match the module "
        f"(the folder could not be loaded): {listing(update_layer_keys(generator))}"
    )
    with pytest.raises(ModelFolderError) as error:
        save_model_folder(tmp_path / "m", {"generator": generator}, {"generator": PartSpec("adain_swap", {**TINY, "resolution": 24})}, {})
    assert str(error.value) == "part 'generator': adain_swap: resolution must be a power of 2 >= 16, got 24"
    with pytest.raises(ModelFolderError, match="needs a 'generator' part"):
        save_model_folder(tmp_path / "m", {"g": generator}, {"g": PartSpec("adain_swap", generator.build_args())}, {})
    with pytest.raises(ComponentNotFound, match="unknown backbone 'adain_swp': did you mean 'adain_swap'"):
        save_model_folder(tmp_path / "m", {"generator": generator}, {"generator": PartSpec("adain_swp", {})}, {})
    with pytest.raises(ModelFolderError, match="sample grid .*: not a PNG file"):
        save_tiny(tmp_path / "m", sample_grid=_not_png(tmp_path))
    assert not (tmp_path / "m").exists()


def _not_png(tmp_path: Path) -> Path:
    path = tmp_path / "grid.jpg"
    Image.new("RGB", (4, 4)).save(path, format="JPEG")
    return path


# -- bad input at load time: one line each, naming the file ------------------------------------


@pytest.fixture
def folder(tmp_path, saved) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(saved[0], copy)
    return copy


def load_error(path, error_type=Exception, **kwargs) -> str:
    with pytest.raises(error_type) as error:
        load_model_folder(path, **kwargs)
    message = str(error.value)
    assert "\n" not in message
    return message


def test_missing_folder_and_missing_config(tmp_path, folder):
    assert load_error(tmp_path / "nope", ModelFolderError) == f"model folder not found: {tmp_path / 'nope'}"
    (folder / "config.json").unlink()
    assert load_error(folder, ModelFolderError) == f"{folder}: not a model folder (no config.json)"
    assert load_error(folder / "model.safetensors", ModelFolderError) == (
        f"{folder / 'model.safetensors'}: expected a model folder (config.json + model.safetensors), got a file"
    )


def test_config_that_is_not_json(folder):
    (folder / "config.json").write_text('{"format_version": 1,\n  parts}')
    assert load_error(folder, ModelFolderError) == (
        f"{folder / 'config.json'}: not valid JSON (line 2 column 3: Expecting property name enclosed in double quotes)"
    )


def test_newer_format_version(folder):
    path = edit_config(folder, lambda c: c.update(format_version=FORMAT_VERSION + 1))
    assert load_error(folder, ModelFolderError) == (
        f"{path}: format_version {FORMAT_VERSION + 1} was made by a newer faceswap-zoo (this one reads up to "
        f"{FORMAT_VERSION}); upgrade: pip install -U faceswap-zoo"
    )


def test_not_a_zoo_folder(folder):
    path = edit_config(folder, lambda c: c.update(library_name="transformers"))
    assert load_error(folder, ModelFolderError) == (
        f"{path}: library_name is 'transformers', not 'faceswap-zoo': not a faceswap-zoo model folder"
    )


def test_unknown_component_names_the_package_to_install(folder):
    def edit(config):
        config["parts"]["generator"].update(name="hyperswap", package="zoo-hyperswap")

    path = edit_config(folder, edit)
    assert load_error(folder, ComponentNotFound) == (
        f"{path}: backbone 'hyperswap' (part 'generator') is not installed: the model needs a plugin that "
        "registers it (pip install zoo-hyperswap; `zoo list backbone`)"
    )


def test_nested_unknown_component(folder):
    path = edit_config(folder, lambda c: c["parts"]["generator"]["args"].update(identity="facenet9000"))
    message = load_error(folder, ModelFolderError)
    assert message.startswith(
        f"{path}: part 'generator': backbone 'adain_swap': identity: unknown backbone 'facenet9000'"
    )


def test_bad_argument_in_config(folder):
    path = edit_config(folder, lambda c: c["parts"]["generator"]["args"].update(resolution=24))
    assert load_error(folder, ModelFolderError) == (
        f"{path}: part 'generator': adain_swap: resolution must be a power of 2 >= 16, got 24"
    )


def test_shape_mismatch_between_config_and_weights(folder):
    edit_config(folder, lambda c: c["parts"]["generator"]["args"].update(id_dim=16))
    message = load_error(folder, WeightsError)
    assert message.startswith(f"{folder / 'model.safetensors'}: weights do not fit backbone 'adain_swap' (part 'generator'): ")
    assert "shape mismatches: identity.project.weight file (8, 8) vs model (16, 8), identity.project.bias file (8,) vs model (16,)" in message


def test_missing_and_unexpected_keys_are_counted(folder, saved):
    edit_config(folder, lambda c: c["parts"]["generator"]["args"].update(growth=[]))
    assert load_error(folder, WeightsError) == (
        f"{folder / 'model.safetensors'}: weights do not fit backbone 'adain_swap' (part 'generator'): "
        f"{listing(update_layer_keys(saved[1]))}"
    )


def test_truncated_and_corrupt_safetensors(folder):
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    assert load_error(folder, WeightsError) == (
        f"{weights}: not a valid safetensors file (Error while deserializing header: incomplete metadata, file not fully covered)"
    )
    weights.write_bytes(b"\x00" * 3)
    assert load_error(folder, WeightsError).startswith(f"{weights}: not a valid safetensors file (")


def test_missing_weights_file_and_missing_part(folder):
    assert load_error(folder, ModelFolderError, parts=("generator", "critic")) == (
        f"{folder / 'config.json'}: no part 'critic' (parts: generator, discriminator)"
    )
    (folder / "discriminator.safetensors").unlink()
    assert load_error(folder, ModelFolderError, parts=("discriminator",)) == (
        f"{folder / 'discriminator.safetensors'}: missing (config.json names it for part 'discriminator')"
    )


def test_a_config_or_weights_file_that_is_a_fifo_is_refused_not_read(folder):
    """Reading a named pipe blocks until a writer comes: a hostile folder must not hang `zoo swap`."""
    (folder / "discriminator.safetensors").unlink()
    os.mkfifo(folder / "discriminator.safetensors")
    assert load_error(folder, ModelFolderError, parts=("discriminator",)) == (
        f"{folder / 'discriminator.safetensors'}: not a regular file (a folder, FIFO or device is never read as weights)"
    )
    (folder / "config.json").unlink()
    (folder / "config.json").symlink_to("/dev/zero")
    assert load_error(folder, ModelFolderError) == (
        f"{folder / 'config.json'}: not a regular file (a folder, FIFO or device is never read as a config)"
    )


class _Payload:
    """Unpickling this creates a file: proof that a pickle was (or was not) executed."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("suffix", [".bin", ".pt", ".pth", ".pkl", ".ckpt"])
def test_pickle_weights_are_refused_and_never_opened(folder, tmp_path, suffix):
    marker = tmp_path / "executed"
    evil = folder / f"pytorch_model{suffix}"
    evil.write_bytes(pickle.dumps(_Payload(marker)))
    refusal = "pickle-based weights are never loaded (arbitrary code execution); convert to safetensors"

    (folder / "model.safetensors").unlink()
    assert load_error(folder, WeightsError) == f"{evil}: {refusal}"
    edit_config(folder, lambda c: c["parts"]["generator"].update(file=evil.name))
    assert load_error(folder, WeightsError) == f"{evil}: {refusal}"
    assert load_error(evil, WeightsError) == f"{evil}: {refusal}"
    assert not marker.exists()



def test_a_folder_holding_a_frozen_encoder_saves_and_loads_without_a_weights_warning(tmp_path: Path, assets: Path) -> None:
    """Its build arguments leave the encoder's weights path out (the tensors are in the folder): rebuilding
    must not warn "has no weights (random init)", which a fresh build without weights still does."""
    import warnings

    import zoo
    from zoo.modelfolder import PartSpec, save_model_folder

    weights = str(assets / "weights" / "mobilefacenet_casia.safetensors")
    small = dict(resolution=16, channels=8, max_channels=16, downsamples=1, blocks=1)
    generator = zoo.build("backbone", "masked_swap", **small, identity={"name": "mobilefacenet", "weights": weights})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_model_folder(tmp_path / "m", {"generator": generator},
                          {"generator": PartSpec("masked_swap", generator.build_args())}, info={"name": "frozen"})
        loaded = zoo.from_pretrained(tmp_path / "m")
    assert torch.equal(loaded.parts["generator"].identity.state_dict()["conv1.conv.weight"],
                       generator.identity.state_dict()["conv1.conv.weight"])
    with pytest.warns(UserWarning, match="has no weights"):
        zoo.build("backbone", "masked_swap", **small, identity="mobilefacenet")
