"""masked_swap: the template outside the predicted mask exactly, identity at every scale, growth (P3/P7)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import zoo
from zoo_swap.masked import MaskedSwap

SMALL = {"channels": 8, "max_channels": 32, "downsamples": 2, "blocks": 1, "id_dim": 16}


def small(resolution: int = 32, **args) -> MaskedSwap:
    torch.manual_seed(0)
    return zoo.build("backbone", "masked_swap", resolution=resolution, **{**SMALL, **args})


def faces(size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(2, 3, size, size, generator=generator), torch.rand(2, 3, size, size, generator=generator)


def test_output_and_mask_shapes_and_ranges() -> None:
    model = small()
    result, mask = model.forward_with_mask(*faces(32))
    assert result.shape == (2, 3, 32, 32) and mask.shape == (2, 1, 32, 32)
    assert 0 <= result.min() and result.max() <= 1 and 0 <= mask.min() and mask.max() <= 1
    assert torch.equal(model(*faces(32)), result)


def test_where_the_mask_is_closed_the_output_is_the_template_exactly() -> None:
    model = small()
    with torch.no_grad():
        model.to_rgb.bias[3] = -1e4  # mask logit → sigmoid 0 everywhere
    source, template = faces(32)
    result, mask = model.forward_with_mask(source, template)
    assert mask.max() == 0
    assert torch.equal(result, template)


def test_the_source_identity_changes_the_face() -> None:
    model = small()
    source, template = faces(32, seed=1)
    other, _ = faces(32, seed=2)
    assert not torch.allclose(model(source, template), model(other, template))


def test_growth_keeps_old_weights_and_fades_in_from_the_upsampled_output() -> None:
    model = small()
    source, template = faces(64)
    before = {name: value.clone() for name, value in model.state_dict().items() if name != "fade_alpha"}
    low = model(source, template)
    new = model.grow(64)
    assert new and all(name.startswith("updates.0.") for name in new)
    assert all(torch.equal(before[name], model.state_dict()[name]) for name in before)
    faded = model(source, template)
    assert faded.shape == (2, 3, 64, 64)
    assert torch.allclose(faded, F.interpolate(low, size=(64, 64), mode="bilinear", align_corners=False), atol=1e-6)
    model.set_fade(1.0)
    assert not torch.allclose(model(source, template), faded)


def test_rebuilt_from_build_args_it_loads_strictly_and_swaps_the_same() -> None:
    model = small()
    model.grow(64)
    model.set_fade(1.0)
    rebuilt = zoo.build("backbone", "masked_swap", **model.build_args())
    rebuilt.load_state_dict(model.state_dict(), strict=True)
    source, template = faces(64)
    face, mask = rebuilt.swap_with_mask(source, template)
    assert torch.equal(face, model.swap(source, template)) and mask.shape == (2, 1, 64, 64)


def test_gradients_reach_every_trainable_parameter() -> None:
    model = small()
    model.grow(64)
    model.set_fade(0.5)
    source, template = faces(64)
    model(source, template).mean().backward()
    trainable = set(model.trainable_parameter_names())
    missing = [name for name, p in model.named_parameters() if name in trainable and (p.grad is None or not p.grad.abs().sum())]
    assert missing == []


# ------------------------------------------------------------------------ with a prior swapper


def _prior(resolution: int = 32) -> MaskedSwap:
    return small(resolution, prior="classical_compositor")


def test_an_untrained_prior_model_returns_its_prior_composite() -> None:
    from zoo_faces.compositor import ClassicalCompositor

    model = _prior()
    source, template = faces(32, seed=3)
    expected = ClassicalCompositor().swap(source, template)
    result, mask = model.forward_with_mask(source, template)
    # heads start at zero and the mask open (sigmoid 4 = 0.982): at most 1.8 % of the template shows through
    assert mask.min() > 0.98
    assert (result - expected).abs().max() < 0.02
    assert (result - template).abs().max() > 0.3  # the composite is not the template


def test_a_grown_prior_model_starts_its_new_layer_at_the_prior_too() -> None:
    from zoo_faces.compositor import ClassicalCompositor

    model = _prior()
    model.grow(64)
    model.set_fade(1.0)  # the new layer alone
    source, template = faces(64, seed=4)
    assert (model.swap(source, template) - ClassicalCompositor().swap(source, template)).abs().max() < 0.02


def test_the_prior_is_corrected_where_the_heads_learn_and_its_gradient_reaches_them() -> None:
    model = _prior()
    source, template = faces(32, seed=5)
    before = model.swap(source, template)
    with torch.no_grad():
        model.to_rgb.bias[:3] = 1.0  # brighter in logit space
    after = model.swap(source, template)
    assert (after >= before - 1e-6).all() and (after - before).mean() > 0.05
    model(source, template).mean().backward()
    assert model.to_rgb.weight.grad.abs().sum() > 0


def test_a_prior_model_rebuilds_from_its_build_args() -> None:
    model = _prior()
    model.grow(64)
    args = model.build_args()
    assert args["prior"]["name"] == "classical_compositor"
    rebuilt = zoo.build("backbone", "masked_swap", **args)
    rebuilt.load_state_dict(model.state_dict(), strict=True)
    source, template = faces(64)
    assert torch.equal(rebuilt.swap(source, template), model.swap(source, template))
    assert small().build_args()["prior"] == "none"


def test_the_prior_must_be_a_swapper() -> None:
    from zoo.errors import ArgumentError
    import pytest

    with pytest.raises(ArgumentError, match="not a swapper"):
        small(prior="masked_swap")


def test_a_prior_model_warps_the_prior_where_its_flow_says() -> None:
    from zoo_faces.compositor import ClassicalCompositor
    from zoo_swap.layers import warp

    model = _prior()
    source, template = faces(32, seed=6)
    with torch.no_grad():
        model.to_rgb.bias[4] = 0.625  # x flow 0.0625 in grid units: one pixel of 32 to the right is sampled
    result = model.swap(source, template)
    shifted = warp(ClassicalCompositor().swap(source, template), torch.tensor([0.0625, 0.0]).view(1, 2, 1, 1).expand(2, 2, 32, 32))
    composite = ClassicalCompositor().swap(source, template)
    assert torch.allclose(shifted[..., :-1], composite[..., 1:], atol=1e-5)  # warp itself: one pixel exactly
    assert (result - shifted).abs().max() < 0.02 and (result - composite).abs().max() > 0.1


def test_growing_a_prior_model_keeps_its_output_and_its_warp() -> None:
    from zoo_faces.compositor import ClassicalCompositor
    from zoo_swap.layers import warp

    model = _prior()
    with torch.no_grad():
        model.to_rgb.weight.normal_(0, 0.2)  # a trained-looking core head: colour, mask and warp
    source, template = faces(64, seed=7)
    low = model(source, template)
    model.grow(64)
    faded = model(source, template)
    assert torch.allclose(faded, F.interpolate(low, size=(64, 64), mode="bilinear", align_corners=False), atol=1e-6)
    with torch.no_grad():
        model.to_rgb.weight.zero_()
        model.to_rgb.bias[4:6] = torch.tensor([0.3, -0.2])  # only a warp left at the core
    model.set_fade(1.0)
    # the new head adds no correction yet, but the core's warp carries up to 64 px
    flow = torch.tensor([0.03, -0.02]).view(1, 2, 1, 1).expand(2, 2, 64, 64)
    expected = warp(ClassicalCompositor().swap(source, template), flow)
    assert (model(source, template) - expected).abs().max() < 0.03
