"""The growable AdaIN swap generator (METHODS.md F5, P3, P7, P8)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

import zoo
from zoo.errors import ArgumentError, ComponentNotFound
from zoo_swap.generator import AdainSwap

SMALL = {"channels": 8, "max_channels": 32, "blocks": 1, "id_dim": 16}


def faces(size: int, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, size, size, generator=generator), torch.rand(batch, 3, size, size, generator=generator)


def small(resolution: int = 32, **args) -> AdainSwap:
    torch.manual_seed(0)
    return AdainSwap(resolution=resolution, **{**SMALL, **args})


def registered_encoder(name: str) -> str:
    try:
        zoo.get_spec("backbone", name)
    except ComponentNotFound:
        pytest.skip(f"identity encoder '{name}' is not registered (zoo_identity not installed)")
    return name


@pytest.mark.parametrize("resolution", [32, 64, 128, 256])
def test_output_shape_and_range_at_core_resolution(resolution):
    model = small(resolution)
    result = model(*faces(resolution))
    assert result.shape == (2, 3, resolution, resolution)
    assert 0.0 <= result.min() and result.max() <= 1.0
    assert model.output_resolution == model.input_resolution == resolution


def test_inputs_above_the_core_resolution_are_resized_inside():
    model = small(32)
    source, template = faces(96)
    assert model(source, template).shape == (2, 3, 32, 32)
    assert model(source, F.interpolate(template, size=48, mode="bilinear")).shape == (2, 3, 32, 32)


def test_identity_changes_the_result_and_template_controls_it():
    model = small(32)
    source, template = faces(32, seed=1)
    other_source, other_template = faces(32, seed=2)
    result = model(source, template)
    assert not torch.allclose(result, model(other_source, template))
    assert not torch.allclose(result, model(source, other_template))


def grads_after_backward(model: AdainSwap, size: int) -> dict[str, torch.Tensor | None]:
    model.zero_grad(set_to_none=True)
    model(*faces(size)).square().mean().backward()
    return {name: p.grad for name, p in model.named_parameters()}


def test_gradients_reach_every_parameter_of_an_ungrown_learned_model():
    model = small(32)
    grads = grads_after_backward(model, 32)
    assert model.trainable_parameter_names() == list(grads)
    missing = [name for name, grad in grads.items() if grad is None or not grad.abs().sum() > 0]
    assert missing == []


def test_gradients_reach_every_trainable_parameter_of_a_twice_grown_model_and_no_retired_head():
    model = small(16, growth=[32, 64])
    model.set_fade(0.5)
    grads = grads_after_backward(model, 64)
    trainable = set(model.trainable_parameter_names())
    assert trainable == {name for name, p in model.named_parameters() if p.requires_grad}
    assert {name for name in grads if name not in trainable} == {"to_rgb.weight", "to_rgb.bias"}
    assert [name for name in trainable if grads[name] is None or not grads[name].abs().sum() > 0] == []
    assert all(grads[name] is None for name in grads if name not in trainable)


def test_registered_identity_encoder_is_frozen_in_eval_mode_and_saved_with_the_model():
    model = small(32, identity=registered_encoder("mobilefacenet"))
    model.train()
    assert model.training and not model.identity.training
    identity_names = {f"identity.{name}" for name, _ in model.identity.named_parameters()}
    assert identity_names and identity_names <= set(model.state_dict())
    assert identity_names.isdisjoint(model.trainable_parameter_names())

    grads = grads_after_backward(model, 32)
    assert all(grads[name] is None for name in identity_names)
    assert [n for n in model.trainable_parameter_names() if grads[n] is None or not grads[n].abs().sum() > 0] == []
    assert model.embed(faces(32)[0]).shape[1] == model.fusion[0].norm1.project.in_features


def test_a_model_with_pretrained_identity_weights_rebuilds_without_the_weights_file(assets):
    weights = str(assets / "weights" / "mobilefacenet_casia.safetensors")
    model = small(32, identity={"name": registered_encoder("mobilefacenet"), "weights": weights})
    args = model.build_args()
    assert args["identity"] == {"name": "mobilefacenet", "flip": False}  # weights: in the model's own tensors

    rebuilt = AdainSwap(**args)
    rebuilt.load_state_dict(model.state_dict(), strict=True)
    source, template = faces(32)
    assert torch.equal(rebuilt.embed(source), model.embed(source))
    assert torch.equal(rebuilt(source, template), model(source, template))


def test_grow_keeps_every_old_parameter_bit_for_bit_and_returns_the_new_names():
    model = small(32)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    new_names = model.grow()
    after = dict(model.named_parameters())
    assert new_names == model.new_parameter_names()
    assert new_names and all(name.startswith("updates.0.") for name in new_names)
    assert set(after) == set(before) | set(new_names)
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert model.output_resolution == 64 and model.build_args()["growth"] == [64]


def test_fade_zero_outputs_exactly_the_upsampled_previous_output():
    model = small(32)
    source, template = faces(64)
    previous = model(source, template)
    model.grow()
    assert model.fade_alpha.item() == 0.0
    upsampled = F.interpolate(previous, size=(64, 64), mode="bilinear", align_corners=False)
    assert torch.equal(model(source, template), upsampled)
    model.set_fade(1.0)
    assert not torch.allclose(model(source, template), upsampled, atol=1e-3)


def test_grow_without_fade_in_uses_the_new_layer_at_once():
    model = small(32)
    model.grow(fade_in=False)
    assert model.fade_alpha.item() == 1.0


def test_training_only_the_new_parameters_leaves_the_old_ones_untouched():
    model = small(32)
    new_names = set(model.grow())
    for name, p in model.named_parameters():
        p.requires_grad_(name in new_names)
    model.set_fade(0.5)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    model(*faces(64)).mean().backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= 0.01 * p.grad.sign()
    changed = {name for name, p in model.named_parameters() if not torch.equal(before[name], p)}
    assert changed == new_names


def test_p8_input_at_lower_resolution_output_at_the_grown_one():
    model = small(64)
    model.grow(fade_in=False)
    assert model(*faces(64)).shape == (2, 3, 128, 128)
    assert model(*faces(128)).shape == (2, 3, 128, 128)
    assert model.input_resolution == 128 and small(64, template_skip=False, growth=[128]).input_resolution == 64


def test_grow_to_a_given_size_and_twice():
    model = small(32)
    model.grow(128)
    model.grow()
    assert model.growth == [128, 256]
    assert model(*faces(32)).shape == (2, 3, 256, 256)
    assert model.new_parameter_names()[0].startswith("updates.1.")


def test_rebuild_from_build_args_and_strict_state_dict_round_trip_gives_the_same_outputs(tmp_path):
    model = small(32)
    model.grow()
    model.set_fade(0.25)
    model.grow(fade_in=True)
    model.set_fade(0.75)
    source, template = faces(32)
    expected = model(source, template)
    save_file(model.state_dict(), tmp_path / "model.safetensors")

    rebuilt = AdainSwap(**model.build_args())
    rebuilt.load_state_dict(load_file(tmp_path / "model.safetensors"), strict=True)
    assert rebuilt.fade_alpha.item() == 0.75
    assert rebuilt.new_parameter_names() == model.new_parameter_names()
    assert rebuilt.trainable_parameter_names() == model.trainable_parameter_names()
    assert torch.equal(rebuilt(source, template), expected)


def test_swap_is_a_no_grad_eval_forward_that_restores_the_mode():
    model = small(32).train()
    result = model.swap(*faces(32))
    assert not result.requires_grad and model.training
    assert torch.equal(result, model(*faces(32)).detach())


def test_build_through_the_registry_validates_arguments():
    model = zoo.build("backbone", "adain_swap", resolution=32, channels=8, max_channels=16, blocks=1, growth=[64])
    assert isinstance(model, AdainSwap) and model.output_resolution == 64
    with pytest.raises(ArgumentError, match="resolution"):
        zoo.build("backbone", "adain_swap", resolution=8)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"resolution": 48}, "power of 2"),
        ({"resolution": 16, "downsamples": 3}, "bottleneck"),
        ({"growth": [64, 64]}, "strictly increasing"),
        ({"growth": [96]}, "powers of 2"),
        ({"identity": {"name": "learned", "weights": "x.safetensors"}}, "'learned' takes no arguments"),
        ({"identity": "bicubic"}, "backbone 'bicubic' is an upscaler, not an identity_encoder"),
        ({"channels": 64, "max_channels": 32}, "max_channels"),
    ],
)
def test_impossible_architectures_are_rejected_naming_the_argument(args, message):
    with pytest.raises(ArgumentError, match=message):
        small(**{"resolution": 32, **args})


def test_bad_grow_size_and_fade_are_rejected():
    model = small(32)
    with pytest.raises(ArgumentError, match="above the output resolution 32"):
        model.grow(32)
    with pytest.raises(ArgumentError, match="alpha"):
        model.set_fade(1.5)
    with pytest.raises(ValueError, match="N×3×H×W"):
        model(torch.rand(2, 1, 32, 32), torch.rand(2, 3, 32, 32))
