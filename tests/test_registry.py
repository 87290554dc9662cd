"""The registry: entry-point discovery, isolation of broken plugins, conflicts, did-you-mean."""

from __future__ import annotations

import pytest
from zoo.errors import ComponentNotFound, PluginConflict
from zoo.registry import KINDS, ComponentSpec, Registry


@pytest.fixture
def registry() -> Registry:
    return Registry.from_entry_points()


def test_builtin_plugins_register_through_entry_points(registry: Registry) -> None:
    builtins = {info.name for info in registry.plugins if info.builtin}
    assert {"curriculum", "losses", "swap", "identity"} <= builtins
    assert registry.get("stage", "train").distribution == "faceswap-zoo"


def test_every_kind_has_builtins(registry: Registry) -> None:
    kinds = {spec.kind for spec in registry.list() if spec.distribution == "faceswap-zoo"}
    assert kinds == set(KINDS)


def test_third_party_plugin_is_discovered_from_its_installed_entry_point(registry: Registry) -> None:
    spec = registry.get("loss", "example_tv")
    assert spec.distribution == "zoo-example-plugin"
    assert spec.plugin == "example"
    info = next(i for i in registry.plugins if i.name == "example")
    assert info.ok and info.version == "0.3.1" and info.components == {"backbone": 1, "loss": 1, "stage": 2}


def test_broken_plugin_is_recorded_and_others_keep_working(registry: Registry) -> None:
    broken = next(i for i in registry.plugins if i.name == "broken")
    assert broken.distribution == "zoo-broken-plugin"
    assert broken.error == "ModuleNotFoundError: No module named 'zoo_dependency_that_does_not_exist'"
    assert registry.get("loss", "pixel").name == "pixel"


def test_zoo_plugins_empty_means_builtins_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_PLUGINS", "")
    registry = Registry.from_entry_points()
    assert {i.distribution for i in registry.plugins} == {"faceswap-zoo"}
    with pytest.raises(ComponentNotFound):
        registry.get("loss", "example_tv")


def test_zoo_plugins_list_selects_by_plugin_or_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_PLUGINS", "zoo-example-plugin,losses")
    registry = Registry.from_entry_points()
    assert sorted(i.name for i in registry.plugins) == ["example", "losses"]
    assert [s.name for s in registry.list("stage")] == ["example_note", "example_warmup"]


def test_listing_does_not_import_targets_or_torch() -> None:
    import subprocess
    import sys

    code = "import sys, zoo; zoo.list_components(); print(sorted(m for m in sys.modules if m in ('torch', 'zoo_example.stages', 'pydantic')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_duplicate_names_name_both_distributions() -> None:
    registry = Registry()
    registry.add(ComponentSpec("loss", "tv", "a.b:C", "first", "alpha", "pkg-alpha"))
    registry.add(ComponentSpec("loss", "tv", "x.y:Z", "second", "beta", "pkg-beta"))
    with pytest.raises(PluginConflict) as raised:
        registry.get("loss", "tv")
    assert str(raised.value) == "loss 'tv' is registered by two plugins: pkg-alpha (alpha) and pkg-beta (beta); uninstall one"


def test_unknown_name_suggests_close_matches(registry: Registry) -> None:
    with pytest.raises(ComponentNotFound) as raised:
        registry.get("loss", "pixl")
    message = str(raised.value)
    count = len(registry.list("loss"))
    assert message.startswith(f"unknown loss 'pixl': did you mean 'pixel'? ({count} losses available: `zoo list loss`)")
    assert "plugins that failed to load: broken" in message


def test_build_validates_arguments_against_the_signature(registry: Registry) -> None:
    from zoo.errors import ArgumentError

    with pytest.raises(ArgumentError) as raised:
        registry.build("loss", "example_tv", power=3)
    assert str(raised.value) == "loss 'example_tv': power: Input should be less than or equal to 2 (got 3)"
    with pytest.raises(ArgumentError) as raised:
        registry.build("loss", "example_tv", strength=1)
    assert str(raised.value) == "loss 'example_tv': strength: unknown argument (valid: power, prefilter)"
    assert registry.build("loss", "example_tv", power=2).power == 2
