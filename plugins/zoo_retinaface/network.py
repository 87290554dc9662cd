"""RetinaFace networks: the retinaface-pytorch FPN/SSH/heads on a ResNet-50 or MobileNet-0.25 body.

retinaface-pytorch only builds torchvision's ResNet-50 body. The MobileNetV1×0.25 body below
follows biubug6/Pytorch_Retinaface (``models/net.py``) module for module, so its published
weights load strictly; everything above the body is the package's code.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torchvision.models import _utils, resnet50

from zoo_retinaface.upstream import FPN, SSH, RetinaFace, conv_bn, conv_dw

__all__ = ["Body", "BodyConfig", "BODIES", "MobileNetV1", "RetinaFaceNet", "build_network"]

Body = Literal["resnet50", "mobilenet0.25"]


@dataclass(frozen=True)
class BodyConfig:
    """What differs between bodies: channels and the input normalisation they were trained with."""

    in_channels_list: tuple[int, int, int]
    out_channels: int
    channel_order: Literal["RGB", "BGR"]
    mean: tuple[float, float, float]  # in 0..255 pixel units, in channel_order
    std: tuple[float, float, float]


BODIES: dict[str, BodyConfig] = {
    # retinaface-pytorch: albumentations Normalize() on RGB (ImageNet statistics).
    "resnet50": BodyConfig((512, 1024, 2048), 256, "RGB",
                           (0.485 * 255, 0.456 * 255, 0.406 * 255), (0.229 * 255, 0.224 * 255, 0.225 * 255)),
    # biubug6: BGR minus (104, 117, 123), no scaling.
    "mobilenet0.25": BodyConfig((64, 128, 256), 64, "BGR", (104.0, 117.0, 123.0), (1.0, 1.0, 1.0)),
}


class MobileNetV1(nn.Module):
    """MobileNetV1 with width 0.25, cut into the three stages RetinaFace's FPN reads (strides 8/16/32)."""

    def __init__(self) -> None:
        super().__init__()
        self.stage1 = nn.Sequential(
            conv_bn(3, 8, 2, leaky=0.1),
            conv_dw(8, 16, 1),
            conv_dw(16, 32, 2),
            conv_dw(32, 32, 1),
            conv_dw(32, 64, 2),
            conv_dw(64, 64, 1),
        )
        self.stage2 = nn.Sequential(conv_dw(64, 128, 2), *(conv_dw(128, 128, 1) for _ in range(5)))
        self.stage3 = nn.Sequential(conv_dw(128, 256, 2), conv_dw(256, 256, 1))

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        first = self.stage1(x)
        second = self.stage2(first)
        return OrderedDict([("1", first), ("2", second), ("3", self.stage3(second))])


class RetinaFaceNet(RetinaFace):
    """retinaface-pytorch's RetinaFace (FPN, SSH, heads, forward) on any three-stage body."""

    def __init__(self, body: nn.Module, in_channels_list: tuple[int, int, int], out_channels: int) -> None:
        nn.Module.__init__(self)  # RetinaFace.__init__ can only build torchvision's ResNet-50 body.
        self.body = body
        self.fpn = FPN(list(in_channels_list), out_channels)
        self.ssh1 = SSH(out_channels, out_channels)
        self.ssh2 = SSH(out_channels, out_channels)
        self.ssh3 = SSH(out_channels, out_channels)
        self.ClassHead = self._make_class_head(fpn_num=3, in_channels=out_channels)
        self.BboxHead = self._make_bbox_head(fpn_num=3, in_channels=out_channels)
        self.LandmarkHead = self._make_landmark_head(fpn_num=3, in_channels=out_channels)


def build_network(body: Body) -> RetinaFaceNet:
    """An untrained RetinaFace with the given body; its state-dict names match the published weights."""
    config = BODIES[body]
    if body == "resnet50":
        trunk: nn.Module = _utils.IntermediateLayerGetter(
            resnet50(weights=None), {"layer2": 1, "layer3": 2, "layer4": 3}
        )
    else:
        trunk = MobileNetV1()
    return RetinaFaceNet(trunk, config.in_channels_list, config.out_channels)
