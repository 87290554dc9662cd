"""The multi-scale PatchGAN discriminator: logits and features per scale, any input size."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

import zoo
from zoo.errors import ArgumentError
from zoo_swap.discriminator import PatchGAN, ScaleOutput

SMALL = {"channels": 8, "max_channels": 32}


def images(size: int | tuple[int, int], batch: int = 2, seed: int = 0) -> torch.Tensor:
    height, width = (size, size) if isinstance(size, int) else size
    return torch.rand(batch, 3, height, width, generator=torch.Generator().manual_seed(seed))


def small(**args) -> PatchGAN:
    torch.manual_seed(0)
    return PatchGAN(**{**SMALL, **args})


@pytest.mark.parametrize("size", [16, 32, 64, 100, (48, 80)])
def test_every_scale_returns_logits_and_features_for_any_input_size(size):
    model = small(num_scales=3, layers=3)
    outputs = model(images(size))
    assert len(outputs) == 3 and all(isinstance(out, ScaleOutput) for out in outputs)
    for out in outputs:
        assert out.logits.shape[:2] == (2, 1) and min(out.logits.shape[2:]) >= 2
        assert [f.shape[1] for f in out.features] == [8, 16, 32, 32]
    heights = [out.features[0].shape[2] for out in outputs]
    assert heights[0] > heights[1] > heights[2]


def test_features_are_every_scales_features_in_order():
    model = small(num_scales=2, layers=2)
    x = images(32)
    expected = [f for out in model(x) for f in out.features]
    actual = model.features(x)
    assert len(actual) == 2 * 3
    assert all(torch.equal(a, e) for a, e in zip(actual, expected))


def test_inputs_in_unit_range_are_mapped_to_minus_one_one_inside():
    model = small(num_scales=1, layers=1)
    seen = []
    model.scales[0].levels[0][0].register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    x = images(16)
    model(x)
    assert torch.equal(seen[0], x * 2 - 1)


def test_the_coarser_scale_judges_the_average_pooled_image():
    model = small(num_scales=2, layers=2)
    x = images(32)
    pooled = F.avg_pool2d(x * 2 - 1, 3, stride=2, padding=1, count_include_pad=False)
    coarse = model.scales[1](pooled)
    assert torch.equal(model(x)[1].logits, coarse.logits)


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_gradients_reach_every_parameter_and_the_input(spectral_norm):
    model = small(num_scales=2, layers=2, spectral_norm=spectral_norm)
    x = images(32).requires_grad_(True)
    loss = sum(out.logits.mean() for out in model(x)) + sum(f.square().mean() for f in model.features(x))
    loss.backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0] == []


def test_spectral_norm_bounds_every_weight_and_round_trips_strictly(tmp_path):
    model = small(num_scales=2, layers=2, spectral_norm=True, norm="none")
    model.train()
    for _ in range(20):  # power iterations run in training-mode forwards
        model(images(32))
    model.eval()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(hasattr(conv, "parametrizations") for conv in convs)
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=0.05)

    save_file(model.state_dict(), tmp_path / "d.safetensors")
    rebuilt = small(num_scales=2, layers=2, spectral_norm=True, norm="none").eval()
    rebuilt.load_state_dict(load_file(tmp_path / "d.safetensors"), strict=True)
    x = images(32)
    assert all(torch.equal(a.logits, b.logits) for a, b in zip(model(x), rebuilt(x)))


def test_instance_norm_is_applied_after_every_conv_but_the_first():
    model = small(num_scales=1, layers=3)
    norms = [type(level[1]).__name__ for level in model.scales[0].levels]
    assert norms == ["Identity", "InstanceNorm2d", "InstanceNorm2d", "InstanceNorm2d"]
    assert all(type(level[1]).__name__ == "Identity" for level in small(num_scales=1, norm="none").scales[0].levels)


def test_build_through_the_registry_validates_arguments():
    model = zoo.build("backbone", "patchgan", num_scales=2, layers=2, channels=8, spectral_norm=True)
    assert isinstance(model, PatchGAN) and len(model(images(32))) == 2
    with pytest.raises(ArgumentError, match="norm"):
        zoo.build("backbone", "patchgan", norm="batch")
    with pytest.raises(ArgumentError, match="num_scales"):
        zoo.build("backbone", "patchgan", num_scales=0)


def test_wrong_image_shape_is_rejected():
    with pytest.raises(ValueError, match="N×3×H×W"):
        small()(torch.rand(2, 32, 32))
