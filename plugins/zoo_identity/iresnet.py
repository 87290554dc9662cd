"""ArcFace IResNet (Deng et al.) in insightface ``arcface_torch``'s state-dict layout.

Matching that layout name for name is what lets users load the widely shared iresnet
checkpoints once converted to safetensors (pickle ``.pth`` files are never opened here).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from torch import Tensor, nn

from zoo.paths import WeightsLocation
from zoo.resize import resize
from zoo_identity.frozen import FrozenEncoder

__all__ = ["IResNet", "IRESNET_LAYERS"]

IRESNET_LAYERS: dict[int, tuple[int, int, int, int]] = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 14, 3),
    100: (3, 13, 30, 3),
}
_WIDTHS = (64, 128, 256, 512)
_BN_EPS = 1e-5


class _IBasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=_BN_EPS)
        self.conv1 = nn.Conv2d(inplanes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=_BN_EPS)
        self.prelu = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, eps=_BN_EPS)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes, eps=_BN_EPS),
            )

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return out + shortcut


def _layer(inplanes: int, planes: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(
        _IBasicBlock(inplanes, planes, 2), *(_IBasicBlock(planes, planes, 1) for _ in range(blocks - 1))
    )


class IResNet(FrozenEncoder):
    """ArcFace IResNet-18/34/50/100 identity encoder (512-d), frozen; arcface_torch layout."""

    def __init__(
        self,
        depth: Annotated[Literal[18, 34, 50, 100], Field(description="iresnet depth")] = 50,
        weights: Annotated[
            WeightsLocation | None, Field(description="safetensors path or hf://org/repo/file; None = random init")
        ] = None,
    ):
        super().__init__()
        self.depth = depth
        self.embedding_size = 512
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=_BN_EPS)
        self.prelu = nn.PReLU(64)
        inplanes = 64
        for index, (planes, blocks) in enumerate(zip(_WIDTHS, IRESNET_LAYERS[depth]), start=1):
            self.add_module(f"layer{index}", _layer(inplanes, planes, blocks))
            inplanes = planes
        self.bn2 = nn.BatchNorm2d(512, eps=_BN_EPS)
        self.dropout = nn.Dropout(p=0.0)
        self.fc = nn.Linear(512 * 7 * 7, 512)
        # arcface_torch names this BatchNorm1d "features", which is also our method name: keep the
        # state-dict key by registering it directly, and reach it through _embedding_norm.
        self._modules["features"] = nn.BatchNorm1d(512, eps=_BN_EPS)
        self._finish_init(weights, f"arcface_iresnet (depth {depth})")

    def prepare(self, images: Tensor) -> Tensor:
        return (resize(images, 112) * 255.0 - 127.5) / 127.5

    @property
    def _embedding_norm(self) -> nn.Module:
        return self._modules["features"]

    def _stages(self) -> list[nn.Module]:
        return [self.layer1, self.layer2, self.layer3, self.layer4]

    def embed(self, prepared: Tensor) -> Tensor:
        x = self.prelu(self.bn1(self.conv1(prepared)))
        for stage in self._stages():
            x = stage(x)
        return self._embedding_norm(self.fc(self.dropout(self.bn2(x).flatten(1))))

    def feature_maps(self, prepared: Tensor) -> list[Tensor]:
        x = self.prelu(self.bn1(self.conv1(prepared)))
        maps = []
        for stage in self._stages():
            x = stage(x)
            maps.append(x)
        return maps
