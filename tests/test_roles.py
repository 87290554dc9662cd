"""Roles: every component declares what it is; building checks it against the role's protocol.

The behaviour tests run over the registry (as timm runs every model): a new built-in component of
one of these roles is tested by being registered.
"""

from __future__ import annotations

import pytest
import torch

import zoo
from zoo.discovery import PluginInfo
from zoo.registry import ComponentSpec, Registry, default_registry
from zoo.roles import RoleError, RoleSpec


def _registry_with(spec: ComponentSpec) -> Registry:
    registry = Registry()
    registry.roles.update(default_registry().roles)
    registry.plugins = [PluginInfo("thirdparty", "m", "pkg-third", "1.0", builtin=False)]
    registry.add(spec)
    registry._attach_roles()
    return registry


def test_every_builtin_component_declares_a_role_some_plugin_defines() -> None:
    registry = default_registry()
    undeclared = [(s.kind, s.name) for s in registry.list() if s.distribution == "faceswap-zoo" and s.role_spec is None]
    assert undeclared == []
    assert not [p for info in registry.plugins if info.builtin for p in info.problems]


def test_a_component_missing_a_member_of_its_role_is_refused_naming_it() -> None:
    spec = ComponentSpec("backbone", "not_a_generator", "zoo_datasets.upscale:BicubicUpscaler", "an upscaler",
                         "thirdparty", "pkg-third", role="generator")
    with pytest.raises(RoleError) as raised:
        _registry_with(spec).build("backbone", "not_a_generator")
    assert str(raised.value) == ("backbone 'not_a_generator' from pkg-third does not play role 'generator': it has no "
                                 "'output_resolution' (the role is defined by zoo_curriculum.roles:Generator)")


def test_a_member_with_the_wrong_signature_is_refused_quoting_both() -> None:
    spec = ComponentSpec("backbone", "bicubic_as_encoder", "zoo_datasets.upscale:BicubicUpscaler", "an upscaler",
                         "thirdparty", "pkg-third", role="identity_encoder")
    with pytest.raises(RoleError) as raised:
        _registry_with(spec).build("backbone", "bicubic_as_encoder")
    assert str(raised.value) == ("backbone 'bicubic_as_encoder' from pkg-third does not play role 'identity_encoder': "
                                 "it has forward(images, size), the role calls forward(images)")


def test_a_role_nobody_declares_is_the_plugins_problem_with_a_suggestion() -> None:
    spec = ComponentSpec("backbone", "typo", "zoo_swap.generator:AdainSwap", "typo", "thirdparty", "pkg-third",
                         role="genrator")
    registry = _registry_with(spec)
    assert registry.plugins[0].problems == [
        "backbone 'typo' declares role 'genrator' that no plugin defines (did you mean 'generator'?)"]


def test_roles_are_listed_and_filter_the_component_list() -> None:
    assert {"generator", "detector", "identity_encoder", "swapper", "stage"} <= set(default_registry().roles)
    generators = {spec.name for spec in zoo.list_components(role="generator")}
    assert {"adain_swap", "masked_swap"} <= generators
    assert all(spec.kind == "backbone" for spec in zoo.list_components(role="generator"))


SMALL_GENERATOR = {"resolution": 32, "channels": 8, "max_channels": 16, "blocks": 1, "id_dim": 16}


@pytest.mark.parametrize("name", [s.name for s in zoo.list_components(role="generator")])
def test_every_generator_swaps_into_0_1_and_grows_keeping_its_weights(name: str) -> None:
    torch.manual_seed(0)
    generator = zoo.build("backbone", name, **SMALL_GENERATOR)
    source, template = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    result = generator(source, template)
    assert result.shape == (2, 3, 32, 32) and 0 <= result.min() and result.max() <= 1
    kept = {k: v.clone() for k, v in generator.state_dict().items() if k != "fade_alpha"}
    new = generator.grow()
    assert new and generator.output_resolution == 64
    assert all(torch.equal(kept[k], generator.state_dict()[k]) for k in kept)
    assert generator.swap(source, template).shape == (2, 3, 64, 64)
    rebuilt = zoo.build("backbone", name, **generator.build_args())
    rebuilt.load_state_dict(generator.state_dict(), strict=True)


@pytest.mark.parametrize("name", [s.name for s in zoo.list_components(role="identity_encoder")])
def test_every_identity_encoder_embeds_aligned_faces(name: str) -> None:
    encoder = zoo.build("backbone", name).eval()  # no weights: random initialisation, shapes are what count
    with torch.no_grad():
        embeddings = encoder(torch.rand(3, 3, 112, 112))
    assert embeddings.ndim == 2 and embeddings.shape[0] == 3 and torch.isfinite(embeddings).all()


def test_stage_role_is_declared_by_the_core() -> None:
    stage_role = default_registry().roles["stage"]
    assert isinstance(stage_role, RoleSpec) and stage_role.target == "zoo.schedule:Stage"
