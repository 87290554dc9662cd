"""Identity encoders: real weights, retrieval on real faces, frozen-but-differentiable, strict loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

import zoo
from zoo.errors import ArgumentError, WeightsError
from zoo_identity.iresnet import IRESNET_LAYERS, IResNet
from zoo_identity.mobilefacenet import MobileFaceNet

MOBILEFACENET = "weights/mobilefacenet_casia.safetensors"


def _load_rgb(path: Path) -> torch.Tensor:
    array = np.array(Image.open(path).convert("RGB"))
    return torch.from_numpy(array).permute(2, 0, 1).float() / 255.0


@pytest.fixture(scope="module")
def glint(assets: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """20 identities × their first 10 images (sorted by name), 112×112 ArcFace-aligned."""
    images, labels = [], []
    people = sorted(p for p in (assets / "faces" / "glint").iterdir() if p.is_dir())
    for label, person in enumerate(people):
        for path in sorted(person.glob("*.png"))[:10]:
            images.append(_load_rgb(path))
            labels.append(label)
    return torch.stack(images), torch.tensor(labels)


@pytest.fixture(scope="module")
def mobilefacenet(assets: Path) -> MobileFaceNet:
    return zoo.build("backbone", "mobilefacenet", weights=str(assets / MOBILEFACENET))


def _leave_one_out_top1(embeddings: torch.Tensor, labels: torch.Tensor) -> float:
    similarity = embeddings @ embeddings.T
    similarity.fill_diagonal_(-2.0)
    return (labels[similarity.argmax(dim=1)] == labels).float().mean().item()


def test_mobilefacenet_identity_retrieval_on_glint(mobilefacenet, glint):
    images, labels = glint
    assert images.shape == (200, 3, 112, 112) and labels.unique().numel() == 20
    with torch.no_grad():
        embeddings = mobilefacenet(images)
    assert embeddings.shape == (200, 128)
    assert torch.allclose(embeddings.norm(dim=1), torch.ones(200), atol=1e-5)
    top1 = _leave_one_out_top1(embeddings, labels)
    print(f"mobilefacenet top-1 leave-one-out retrieval on glint 20x10: {top1:.3f}")
    assert top1 >= 0.98


def test_mobilefacenet_accepts_any_resolution(mobilefacenet, glint):
    faces = glint[0][::10]
    with torch.no_grad():
        native = mobilefacenet(faces)
        for size in (64, 256):
            resized = torch.nn.functional.interpolate(faces, size=(size, size), mode="bilinear", antialias=True)
            agreement = (mobilefacenet(resized) * native).sum(dim=1)
            assert agreement.min() > 0.8, (size, agreement.min())


def test_mobilefacenet_flip_concatenates_the_mirrored_embedding(assets, glint):
    faces = glint[0][:4]
    plain = MobileFaceNet(weights=str(assets / MOBILEFACENET))
    flipped = MobileFaceNet(weights=str(assets / MOBILEFACENET), flip=True)
    with torch.no_grad():
        both = flipped.embed(flipped.prepare(faces))
        assert flipped(faces).shape == (4, 256)
        assert torch.allclose(torch.nn.functional.normalize(both[:, :128], dim=1), plain(faces), atol=1e-5)
        mirrored = plain(faces.flip(-1))
    assert torch.allclose(torch.nn.functional.normalize(both[:, 128:], dim=1), mirrored, atol=1e-4)


@pytest.mark.parametrize("name", ["mobilefacenet", "arcface_iresnet"])
def test_encoder_is_frozen_but_passes_gradients_to_its_input(name):
    encoder = zoo.build("backbone", name, **({"depth": 18} if name == "arcface_iresnet" else {}))
    parent = torch.nn.Sequential(encoder)
    parent.train()
    assert not encoder.training and not any(m.training for m in encoder.modules())
    stats_before = {k: v.clone() for k, v in encoder.state_dict().items()}

    images = torch.rand(2, 3, 96, 96, requires_grad=True)
    embedding = encoder(images)
    (embedding[0] @ embedding[1] + sum(f.mean() for f in encoder.features(images))).backward()

    assert images.grad is not None and images.grad.abs().sum() > 0
    assert all(not p.requires_grad and p.grad is None for p in encoder.parameters())
    assert all(torch.equal(stats_before[k], v) for k, v in encoder.state_dict().items())


@pytest.mark.parametrize("name, size, dim", [("mobilefacenet", 128, 128), ("arcface_iresnet", 112, 512)])
def test_encoder_output_and_feature_shapes(name, size, dim):
    encoder = zoo.build("backbone", name, **({"depth": 18} if name == "arcface_iresnet" else {}))
    with torch.no_grad():
        embedding = encoder(torch.rand(3, 3, size, size))
        features = encoder.features(torch.rand(3, 3, size, size))
    assert embedding.shape == (3, dim) and encoder.embedding_size == dim
    assert len(features) == 4
    assert [f.shape[-1] for f in features] == sorted((f.shape[-1] for f in features), reverse=True)


# An independent printout of insightface arcface_torch's iresnet50 reports 43,590,848 parameters;
# the published sizes are r18 24.0M, r34 34.1M, r50 43.6M, r100 65.2M.
@pytest.mark.parametrize(
    "depth, millions", [(18, 24.0), (34, 34.1), (50, 43.6), (100, 65.2)]
)
def test_iresnet_parameter_counts_match_arcface_torch(depth, millions):
    with torch.device("meta"):
        model = IResNet(depth=depth)
    count = sum(p.numel() for p in model.parameters())
    assert round(count / 1e6, 1) == millions
    if depth == 50:
        assert count == 43_590_848
    blocks = [len(getattr(model, f"layer{i}")) for i in range(1, 5)]
    assert tuple(blocks) == IRESNET_LAYERS[depth]


def test_iresnet_state_dict_uses_arcface_torch_names():
    with torch.device("meta"):
        shapes = {k: tuple(v.shape) for k, v in IResNet(depth=50).state_dict().items()}
    expected = {
        "conv1.weight": (64, 3, 3, 3),
        "bn1.running_var": (64,),
        "prelu.weight": (64,),
        "layer1.0.bn1.weight": (64,),
        "layer1.0.conv1.weight": (64, 64, 3, 3),
        "layer1.0.bn2.weight": (64,),
        "layer1.0.prelu.weight": (64,),
        "layer1.0.conv2.weight": (64, 64, 3, 3),
        "layer1.0.bn3.weight": (64,),
        "layer1.0.downsample.0.weight": (64, 64, 1, 1),
        "layer1.0.downsample.1.running_mean": (64,),
        "layer2.0.conv1.weight": (128, 64, 3, 3),
        "layer3.13.conv2.weight": (256, 256, 3, 3),
        "layer4.2.bn3.bias": (512,),
        "bn2.weight": (512,),
        "fc.weight": (512, 512 * 7 * 7),
        "fc.bias": (512,),
        "features.weight": (512,),
        "features.running_mean": (512,),
        "features.num_batches_tracked": (),
    }
    assert {k: shapes.get(k) for k in expected} == expected
    assert "layer1.1.downsample.0.weight" not in shapes
    assert "layer3.14.conv1.weight" not in shapes
    assert len(shapes) == 475


def test_iresnet_strict_round_trip(tmp_path):
    torch.manual_seed(0)
    original = IResNet(depth=18)
    with torch.no_grad():  # non-trivial BN statistics so the round trip proves they load too
        for module in original.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "r18.safetensors"
    save_file(original.state_dict(), str(path))
    restored = zoo.build("backbone", "arcface_iresnet", depth=18, weights=str(path))
    images = torch.rand(2, 3, 112, 112)
    with torch.no_grad():
        assert torch.equal(original(images), restored(images))
    assert all(torch.equal(v, restored.state_dict()[k]) for k, v in original.state_dict().items())


def _saved(tmp_path: Path, tensors: dict[str, torch.Tensor]) -> str:
    path = tmp_path / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return str(path)


def test_strict_load_names_missing_and_unexpected_keys(tmp_path):
    tensors = MobileFaceNet().state_dict()
    del tensors["linear1.bn.weight"]
    tensors["head.weight"] = torch.zeros(3)
    with pytest.raises(WeightsError) as error:
        MobileFaceNet(weights=_saved(tmp_path, tensors))
    message = str(error.value)
    assert "1 missing keys: linear1.bn.weight" in message
    assert "1 unexpected keys: head.weight" in message
    assert "\n" not in message


def test_strict_load_names_shape_mismatches(tmp_path):
    tensors = MobileFaceNet().state_dict()
    tensors["conv1.conv.weight"] = torch.zeros(32, 3, 3, 3)
    with pytest.raises(WeightsError, match=r"conv1\.conv\.weight file \(32, 3, 3, 3\) vs model \(64, 3, 3, 3\)"):
        MobileFaceNet(weights=_saved(tmp_path, tensors))


def test_strict_load_rejects_other_architectures_and_formats(tmp_path, assets):
    with pytest.raises(WeightsError, match="missing keys.*unexpected keys"):
        IResNet(depth=18, weights=str(assets / MOBILEFACENET))
    pickle_file = tmp_path / "model.pth"
    torch.save({"conv1.weight": torch.zeros(1)}, pickle_file)
    with pytest.raises(WeightsError, match="pickle-based weights are never loaded"):
        MobileFaceNet(weights=str(pickle_file))
    with pytest.raises(WeightsError, match="weights file not found"):
        MobileFaceNet(weights=str(tmp_path / "absent.safetensors"))


def test_hub_weights_not_in_the_cache_offline_are_named(monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(WeightsError, match="cannot download hf://no-such-org/no-such-repo/model.safetensors: offline"):
        MobileFaceNet(weights="hf://no-such-org/no-such-repo/model.safetensors")


def test_bad_arguments_are_argument_errors():
    with pytest.raises(ArgumentError, match="depth"):
        zoo.build("backbone", "arcface_iresnet", depth=20)
