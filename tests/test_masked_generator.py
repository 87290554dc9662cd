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
