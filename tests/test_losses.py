"""Losses: minimum at the target, right signs, exact formulas, frozen judges, real identity behaviour."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.signal import correlate2d
from torch import Tensor, nn

import zoo
from zoo.errors import ArgumentError
from zoo_losses.adversarial import AdversarialLoss
from zoo_losses.base import GroupOutputs, LossInputs
from zoo_losses.feature import FeatureLoss
from zoo_losses.ssim import MS_SSIM_WEIGHTS, ms_ssim, ms_ssim_levels, ssim
from zoo_swap.discriminator import ScaleOutput

MOBILEFACENET = "weights/mobilefacenet_casia.safetensors"


def _patchgan() -> nn.Module:
    """The run's discriminator as recipes build it, kept small for speed (2 scales × 3 feature maps)."""
    torch.manual_seed(0)
    return zoo.build("backbone", "patchgan", channels=8, layers=2)


class Brightness(nn.Module):
    """A discriminator whose only opinion is 'brighter is more real': logits = scale·(mean − 0.5)."""

    def __init__(self, scale: float = 4.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale))

    def forward(self, x: Tensor) -> list[ScaleOutput]:
        logits = self.scale * (x.mean(dim=1, keepdim=True) - 0.5)
        return [ScaleOutput(logits, [x]), ScaleOutput(nn.functional.avg_pool2d(logits, 2), [x])]


def _images(seed: int, n: int = 2, size: int = 64) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    base = torch.rand(n, 3, size // 8, size // 8, generator=generator)
    smooth = nn.functional.interpolate(base, size=(size, size), mode="bilinear", align_corners=False)
    return (smooth + 0.05 * torch.rand(n, 3, size, size, generator=generator)).clamp(0, 1)


def _group(name: str, seed: int, result: Tensor | None = None, size: int = 64) -> GroupOutputs:
    label = _images(seed + 2, size=size)
    return GroupOutputs(
        group=name,
        source=_images(seed, size=size),
        template=_images(seed + 1, size=size),
        label=label,
        result=label.clone() if result is None else result,
    )


def _batch(perturb: float = 0.0, discriminator: nn.Module | None = None) -> LossInputs:
    groups = [_group("fake_template", 0), _group("fake_label", 10), _group("triplet", 20)]
    for group in groups:
        group.result = (group.label + perturb * torch.randn_like(group.label)).clamp(0, 1).requires_grad_()
    return LossInputs(groups=groups, discriminator=discriminator)


def _total(terms: dict[str, Tensor]) -> Tensor:
    assert terms and all(t.ndim == 0 for t in terms.values())
    return sum(terms.values())


# -- every registered loss --------------------------------------------------------------------


def test_every_builtin_loss_is_registered():
    names = {spec.name for spec in zoo.list_components("loss")}
    assert {"pixel", "feature", "identity", "adversarial", "ssim", "ms_ssim"} <= names


@pytest.mark.parametrize(
    "name, args",
    [
        ("pixel", {}),
        ("feature", {}),
        ("feature", {"extractor": "mobilefacenet", "distance": "l2"}),
        ("ssim", {}),
        ("ms_ssim", {}),
        ("identity", {}),
    ],
)
def test_loss_is_zero_at_the_target_and_positive_otherwise(name, args):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random-init judges are fine for this property
        loss = zoo.build("loss", name, **args)
    critic = _patchgan()
    exact = _batch(discriminator=critic)
    if name == "identity":  # the identity target is the source: the result *is* the source
        for group in exact.groups:
            group.result = group.source.clone().requires_grad_()
    at_target = _total(loss(exact))
    off_target = _total(loss(_batch(perturb=0.2, discriminator=critic)))
    assert at_target.abs() < 1e-5, at_target
    assert off_target > 1e-3, off_target


@pytest.mark.parametrize("name", ["pixel", "feature", "ssim", "ms_ssim", "adversarial"])
def test_losses_send_gradients_to_results(name):
    torch.manual_seed(0)
    loss = zoo.build("loss", name)
    inputs = _batch(perturb=0.2, discriminator=_patchgan())
    _total(loss(inputs)).backward()
    for group in inputs.groups:
        if name != "feature" or group.group != "fake_label":
            assert group.result.grad is not None and torch.isfinite(group.result.grad).all()
            assert group.result.grad.abs().sum() > 0, group.group


# -- pixel ------------------------------------------------------------------------------------


def test_pixel_weights_each_group_separately():
    inputs = _batch()
    for group, offset in zip(inputs.groups, (0.1, 0.2, 0.4)):
        group.result = group.label * 0.5 + offset  # |Y − L| = |offset − L/2|, known per pixel
    expected = {g.group: (g.result - g.label).abs().mean() for g in inputs.groups}
    terms = zoo.build("loss", "pixel", fake_template_weight=2.0, fake_label_weight=0.25, triplet_weight=1.0)(inputs)
    assert set(terms) == {"fake_template", "fake_label", "triplet"}
    assert torch.allclose(terms["fake_template"], 2.0 * expected["fake_template"])
    assert torch.allclose(terms["fake_label"], 0.25 * expected["fake_label"])
    assert torch.allclose(terms["triplet"], expected["triplet"])


def test_pixel_resizes_a_label_of_another_resolution():
    group = _group("triplet", 0)
    group.label = nn.functional.interpolate(group.result, scale_factor=2, mode="bilinear", align_corners=False)
    terms = zoo.build("loss", "pixel")(LossInputs([group]))
    assert terms["triplet"] < 0.02


# -- feature ----------------------------------------------------------------------------------


def test_feature_loss_sums_weighted_layer_distances_of_the_discriminator():
    critic = _patchgan()
    inputs = _batch(perturb=0.1, discriminator=critic)
    loss = FeatureLoss(distance="l2", layer_weights=[1.0, 0.0, 2.0, 0.5, 1.0, 1.0])
    terms = loss(inputs)
    assert set(terms) == {"fake_template", "triplet"}  # the fake label is not trusted by default
    group = inputs.groups[0]
    with torch.no_grad():
        layers = zip(critic.features(group.result), critic.features(group.label), [1.0, 0.0, 2.0, 0.5, 1.0, 1.0])
        expected = sum(w * (a - b).square().mean() for a, b, w in layers)
    assert torch.allclose(terms["fake_template"], expected)


def test_feature_loss_explains_configuration_mistakes():
    with pytest.raises(ArgumentError, match="needs the run.s discriminator"):
        FeatureLoss()(_batch())
    with pytest.raises(ArgumentError, match="layer_weights has 2 entries .* returns 6 layers"):
        FeatureLoss(layer_weights=[1.0, 1.0])(_batch(discriminator=_patchgan()))
    with pytest.raises(ArgumentError, match="groups"):
        zoo.build("loss", "feature", groups=["fake_labels"])


def test_feature_extractor_backbone_stays_frozen(assets):
    loss = zoo.build("loss", "feature", extractor={"name": "mobilefacenet", "weights": str(assets / MOBILEFACENET)})
    loss.train()
    assert not loss.extractor.training
    inputs = _batch(perturb=0.1)
    _total(loss(inputs)).backward()
    assert inputs.groups[0].result.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in loss.extractor.parameters())


# -- identity ---------------------------------------------------------------------------------


def _glint_people(assets: Path, people: int, per_person: int) -> list[Tensor]:
    folders = sorted(p for p in (assets / "faces" / "glint").iterdir() if p.is_dir())[:people]
    faces = []
    for folder in folders:
        paths = sorted(folder.glob("*.png"))[:per_person]
        arrays = [np.array(Image.open(path).convert("RGB")) for path in paths]
        faces.append(torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float() / 255.0)
    return faces


@pytest.fixture(scope="module")
def identity_loss(assets):
    return zoo.build("loss", "identity", encoder={"name": "mobilefacenet", "weights": str(assets / MOBILEFACENET)})


def test_identity_first_loss_is_lower_for_the_same_person(identity_loss, assets):
    faces = _glint_people(assets, people=10, per_person=2)
    sources = torch.stack([person[0] for person in faces])
    same = torch.stack([person[1] for person in faces])
    other = torch.stack([faces[(i + 1) % len(faces)][1] for i in range(len(faces))])

    def first(results: Tensor) -> float:
        group = GroupOutputs("triplet", source=sources, template=sources, label=sources, result=results)
        return identity_loss(LossInputs([group]))["first"].item()

    same_person, other_person = first(same), first(other)
    print(f"identity first loss: same person {same_person:.3f}, different person {other_person:.3f}")
    assert same_person < other_person - 0.2


def test_identity_second_loss_follows_f4(identity_loss, assets):
    faces = _glint_people(assets, people=3, per_person=2)
    y, t, s = faces[0][:1], faces[1][:1], faces[2][:1]
    encoder = identity_loss.encoder
    with torch.no_grad():
        e_y, e_t, e_s = encoder(y), encoder(t), encoder(s)
    expected = ((e_y * e_t).sum() - (e_s * e_t).sum()).abs()
    groups = [
        GroupOutputs("fake_template", source=s, template=t, label=t, result=y),
        GroupOutputs("fake_label", source=s, template=t, label=t, result=y),
        GroupOutputs("triplet", source=s, template=t, label=t, result=y),
    ]
    terms = identity_loss(LossInputs(groups))
    assert torch.allclose(terms["second"], expected, atol=1e-5)
    assert torch.allclose(terms["first"], 1 - (e_y * e_s).sum(), atol=1e-5)
    only_triplet = identity_loss(LossInputs(groups[2:]))
    assert set(only_triplet) == {"first"}  # F4's second loss covers the two Method F groups


def test_identity_loss_weights_parts_and_freezes_its_encoder(identity_loss, assets):
    weights = str(assets / MOBILEFACENET)
    loss = zoo.build("loss", "identity", encoder={"name": "mobilefacenet", "weights": weights}, first_weight=2.0,
                     second_weight=0.0)
    loss.train()
    assert not loss.encoder.training
    inputs = _batch(perturb=0.2)
    terms = loss(inputs)
    reference = identity_loss(inputs)
    assert torch.allclose(terms["first"], 2.0 * reference["first"]) and terms["second"] == 0
    _total(terms).backward()
    assert inputs.groups[0].result.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in loss.encoder.parameters())


def test_identity_loss_warns_about_an_encoder_without_weights():
    with pytest.warns(UserWarning, match="identity loss: backbone 'mobilefacenet' has no weights"):
        zoo.build("loss", "identity")


# -- adversarial ------------------------------------------------------------------------------


def _bright_and_dark(discriminator: nn.Module) -> tuple[LossInputs, LossInputs]:
    def inputs(result_value: float, real_value: float) -> LossInputs:
        group = _group("fake_template", 0)
        group.label = torch.full_like(group.label, real_value)
        group.result = torch.full_like(group.label, result_value).requires_grad_()
        return LossInputs([group], discriminator=discriminator)

    return inputs(0.9, 0.9), inputs(0.1, 0.9)


@pytest.mark.parametrize("mode", ["hinge", "non_saturating"])
def test_adversarial_generator_side_rewards_results_the_discriminator_finds_real(mode):
    loss = zoo.build("loss", "adversarial", mode=mode)
    convincing, unconvincing = _bright_and_dark(Brightness())
    assert loss(convincing)["generator"] < loss(unconvincing)["generator"]
    loss(unconvincing)["generator"].backward()
    assert unconvincing.groups[0].result.grad.sum() < 0  # descending it makes the result brighter


@pytest.mark.parametrize("mode", ["hinge", "non_saturating"])
def test_adversarial_discriminator_side_scores_real_high_and_fake_low(mode):
    loss = zoo.build("loss", "adversarial", mode=mode)
    fooled, right = Brightness(scale=-4.0), Brightness(scale=4.0)  # real is bright in these batches
    _, dark_fakes = _bright_and_dark(fooled)
    wrong_terms = loss.discriminator_loss(dark_fakes)
    dark_fakes.discriminator = right
    right_terms = loss.discriminator_loss(dark_fakes)
    assert right_terms["real"] < wrong_terms["real"] and right_terms["fake"] < wrong_terms["fake"]
    if mode == "hinge":  # margins met: both hinge terms are exactly zero
        assert right_terms["real"] == 0 and right_terms["fake"] == 0


@pytest.mark.parametrize("mode", ["hinge", "non_saturating"])
def test_adversarial_training_steps_move_both_players_the_right_way(mode):
    torch.manual_seed(0)
    critic = _patchgan()
    loss = AdversarialLoss(mode=mode)
    inputs = _batch(perturb=0.3, discriminator=critic)

    def realness(images: Tensor) -> float:
        with torch.no_grad():
            return float(sum(o.logits.mean() for o in critic(images)))

    reals = torch.cat([loss._real(g) for g in inputs.groups])
    fakes = torch.cat([g.result.detach() for g in inputs.groups])
    before = realness(reals) - realness(fakes)
    optimiser = torch.optim.SGD(critic.parameters(), lr=0.05)
    for _ in range(5):
        optimiser.zero_grad()
        _total(loss.discriminator_loss(inputs)).backward()
        optimiser.step()
    assert realness(reals) - realness(fakes) > before
    assert all(g.result.grad is None for g in inputs.groups)  # the D step never reaches the generator

    results = [g.result for g in inputs.groups]
    fake_score = realness(torch.cat(results).detach())
    _total(loss(inputs)).backward()
    stepped = torch.cat([r.detach() - 0.5 * r.grad / r.grad.norm() for r in results])
    assert realness(stepped) > fake_score


def test_adversarial_shows_real_photos_as_real():
    inputs = _batch()
    loss = AdversarialLoss()
    chosen = {g.group: loss._real(g) for g in inputs.groups}
    by_group = {g.group: g for g in inputs.groups}
    assert chosen["fake_template"] is by_group["fake_template"].label  # RL is a real photo
    assert chosen["fake_label"] is by_group["fake_label"].template  # FL is another swapper's output
    custom = zoo.build("loss", "adversarial", real_images={"fake_label": "source"})
    assert custom._real(by_group["fake_label"]) is by_group["fake_label"].source
    with pytest.raises(ArgumentError, match="no discriminator"):
        loss(inputs)


# -- ssim / ms-ssim ---------------------------------------------------------------------------


def _reference_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Textbook SSIM in float64 with a full 2-D gaussian window, valid region, mean over channels."""
    coords = np.arange(11) - 5
    g = np.exp(-(coords**2) / (2 * 1.5**2))
    window = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = 0.01**2, 0.03**2
    values = []
    for a, b in zip(x, y):
        f = lambda m: correlate2d(m, window, mode="valid")  # noqa: E731
        mu_a, mu_b = f(a), f(b)
        var_a, var_b, cov = f(a * a) - mu_a**2, f(b * b) - mu_b**2, f(a * b) - mu_a * mu_b
        values.append(((2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))).mean())
    return float(np.mean(values))


def test_ssim_matches_a_textbook_reference():
    x, y = _images(1, n=1, size=32), _images(2, n=1, size=32)
    expected = _reference_ssim(x[0].double().numpy(), y[0].double().numpy())
    assert abs(ssim(x, y).item() - expected) < 1e-5


def test_ssim_of_flat_images_has_the_closed_form():
    x, y = torch.full((1, 3, 16, 16), 0.2), torch.full((1, 3, 16, 16), 0.6)
    c1 = 0.01**2
    assert torch.allclose(ssim(x, y), torch.tensor([(2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1)]))


def test_the_evaluation_metric_is_this_ssim():
    from zoo_curriculum.evaluate import ssim as metric

    x, y = _images(7, size=24), _images(8, size=24)
    assert metric(x, x) == pytest.approx(1.0, abs=1e-6)
    assert metric(x, y) == pytest.approx(float(ssim(x, y).mean()), abs=1e-7) and metric(x, y) < 0.9
    flat_a, flat_b = torch.full((1, 3, 12, 12), 0.5), torch.full((1, 3, 12, 12), 0.25)
    assert metric(flat_a, flat_b) == pytest.approx((2 * 0.5 * 0.25 + 1e-4) / (0.25 + 0.0625 + 1e-4), abs=1e-6)


def test_ms_ssim_uses_the_scales_that_fit():
    assert [ms_ssim_levels(s, s) for s in (8, 16, 32, 64, 128, 256, 512)] == [1, 1, 2, 3, 4, 5, 5]
    assert MS_SSIM_WEIGHTS == (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
    x = _images(3, size=256)
    assert torch.allclose(ms_ssim(x, x), torch.ones(2), atol=1e-5)
    for size in (16, 32, 64, 256):
        x = _images(4, size=size).requires_grad_()
        value = ms_ssim(x, 1 - x.detach())  # anti-correlated: contrast terms negative
        value.sum().backward()
        assert torch.isfinite(value).all() and torch.isfinite(x.grad).all()
        assert (value < 0.5).all()


def test_ms_ssim_agrees_with_ssim_when_only_one_scale_fits():
    x = _images(5, size=16)
    y = (x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(6))).clamp(0, 1)
    assert torch.allclose(ms_ssim(x, y), ssim(x, y), atol=1e-6)
    assert (ssim(x, y) < 0.95).all()
