"""The AdaIN identity-swap generator (METHODS.md F5), growable by resolution-update layers (P3/P7/P8).

Data flow: source and template are resized to the core resolution and spliced (6 channels) →
convolutional encoder → AdaIN fusion blocks driven by the source's identity embedding → decoder →
RGB. Each ``grow()`` appends a resolution-update layer after all existing convolutions; earlier
layers are never touched, so their weights stay bit-for-bit identical and a stage can train the
new layer alone (P5) before fine-tuning everything (P6).
"""

from __future__ import annotations

from typing import Annotated, Any

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from zoo.errors import ArgumentError
from zoo_swap.identity import LearnedIdentity, build_frozen_encoder, embedding_dim
from zoo_swap.layers import ConvAct, FusionBlock, ResolutionUpdate, resize

__all__ = ["AdainSwap"]

_MIN_CORE_FEATURES = 4
_MIN_UPDATE_WIDTH = 16


def _is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def _check_images(images: Tensor, name: str) -> None:
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"{name} must be N×3×H×W RGB in [0, 1], got shape {tuple(images.shape)}")


class AdainSwap(nn.Module):
    """AdaIN identity-swap generator (F5): splice encoder, identity fusion, decoder; growable (P3/P7)."""

    def __init__(
        self,
        resolution: Annotated[
            int, Field(ge=16, description="core resolution the encoder/decoder run at: a power of 2")
        ] = 64,
        channels: Annotated[int, Field(gt=0, description="width of the full-resolution encoder level")] = 32,
        max_channels: Annotated[int, Field(gt=0, description="cap on the width of deeper levels")] = 256,
        downsamples: Annotated[
            int, Field(ge=0, le=6, description="stride-2 encoder levels (width doubles)")
        ] = 2,
        blocks: Annotated[int, Field(ge=0, description="AdaIN fusion residual blocks at the bottleneck")] = 4,
        identity: Annotated[
            str, Field(description="'learned' (trainable source encoder) or a registered identity backbone")
        ] = "learned",
        identity_args: Annotated[
            dict[str, Any], Field(description="arguments of the registered identity backbone")
        ] = {},
        id_dim: Annotated[
            int, Field(gt=0, description="embedding width of the learned identity encoder")
        ] = 256,
        growth: Annotated[
            list[int], Field(description="output sizes of the resolution-update layers already inserted")
        ] = [],
        template_skip: Annotated[
            bool, Field(description="feed the template at each update layer's own resolution into it")
        ] = True,
    ):
        super().__init__()
        _check_architecture(resolution, channels, max_channels, downsamples, identity, identity_args, growth)
        self._args: dict[str, Any] = {
            "resolution": resolution,
            "channels": channels,
            "max_channels": max_channels,
            "downsamples": downsamples,
            "blocks": blocks,
            "identity": identity,
            "identity_args": dict(identity_args),
            "id_dim": id_dim,
            "template_skip": template_skip,
        }
        self.resolution = resolution
        self.template_skip = template_skip
        self.growth: list[int] = []

        self.identity_frozen = identity != "learned"
        if self.identity_frozen:
            self.identity: nn.Module = build_frozen_encoder(identity, dict(identity_args))
            id_dim = embedding_dim(self.identity)
        else:
            self.identity = LearnedIdentity(channels, max_channels, id_dim)

        widths = [min(channels * 2**level, max_channels) for level in range(downsamples + 1)]
        self.encoder = nn.Sequential(
            ConvAct(6, widths[0]),
            *(ConvAct(cin, cout, stride=2) for cin, cout in zip(widths, widths[1:])),
        )
        self.fusion = nn.ModuleList(FusionBlock(widths[-1], id_dim) for _ in range(blocks))
        self.decoder = nn.Sequential(
            *(
                nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), ConvAct(cin, cout))
                for cin, cout in zip(widths[::-1], widths[-2::-1])
            ),
            ConvAct(widths[0], widths[0]),
        )
        self.to_rgb = nn.Conv2d(widths[0], 3, 1)
        self.updates = nn.ModuleList()
        self._feature_widths = [widths[0]]
        self.register_buffer("fade_alpha", torch.ones(()), persistent=True)
        for size in growth:
            self.grow(size, fade_in=False)

    # -- shapes ---------------------------------------------------------------------------------

    @property
    def output_resolution(self) -> int:
        return self.growth[-1] if self.growth else self.resolution

    @property
    def input_resolution(self) -> int:
        """Resolution to align inputs at: beyond it the model sees no more detail."""
        return self.output_resolution if self.template_skip else self.resolution

    def build_args(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this exact architecture, growth included.

        The identity encoder's ``weights`` path is left out: its tensors are in this model's
        state_dict, so a model folder must not depend on a file of the machine that trained it.
        """
        args = dict(self._args, growth=list(self.growth))
        args["identity_args"] = {k: v for k, v in self._args["identity_args"].items() if k != "weights"}
        return args

    # -- forward --------------------------------------------------------------------------------

    def embed(self, source: Tensor) -> Tensor:
        """The source's identity embedding (N×D) that drives every AdaIN layer."""
        if self.identity_frozen:
            with torch.no_grad():
                return self.identity(source)
        return self.identity(resize(source, self.resolution))

    def forward(self, source: Tensor, template: Tensor) -> Tensor:
        """Swap the source's identity onto the template; N×3×R×R in [0, 1], R = output resolution."""
        _check_images(source, "source")
        _check_images(template, "template")
        if source.shape[0] != template.shape[0]:
            raise ValueError(f"source batch {source.shape[0]} != template batch {template.shape[0]}")
        identity = self.embed(source)
        spliced = torch.cat([resize(source, self.resolution), resize(template, self.resolution)], dim=1)
        features = self.encoder(spliced * 2 - 1)
        for block in self.fusion:
            features = block(features, identity)
        features = self.decoder(features)
        if not self.updates:
            return torch.sigmoid(self.to_rgb(features))

        *inner, last = self.updates
        for layer in inner:
            features = layer(features, self._template_at(template, layer.size))
        previous = inner[-1].rgb(features) if inner else torch.sigmoid(self.to_rgb(features))
        new = last.rgb(last(features, self._template_at(template, last.size)))
        upsampled = F.interpolate(previous, size=(last.size, last.size), mode="bilinear", align_corners=False)
        return self.fade_alpha * new + (1 - self.fade_alpha) * upsampled

    def _template_at(self, template: Tensor, size: int) -> Tensor | None:
        return resize(template, size) * 2 - 1 if self.template_skip else None

    @torch.no_grad()
    def swap(self, source: Tensor, template: Tensor) -> Tensor:
        """The shared swapper interface: an eval-mode, no-grad forward on aligned faces."""
        was_training = self.training
        self.eval()
        try:
            return self(source, template)
        finally:
            self.train(was_training)

    def train(self, mode: bool = True) -> AdainSwap:
        super().train(mode)
        if self.identity_frozen:
            self.identity.eval()
        return self

    # -- growth (P3/P7) -------------------------------------------------------------------------

    def grow(self, size: int | None = None, fade_in: bool = True) -> list[str]:
        """Append a resolution-update layer; return the names of its (new) parameters.

        The output resolution doubles, or becomes ``size`` (a larger power of 2). With ``fade_in``
        the new layer starts fully blended out (``fade_alpha`` 0): the output is then exactly the
        upsampled previous output until :meth:`set_fade` raises alpha.
        """
        current = self.output_resolution
        size = 2 * current if size is None else size
        if not _is_power_of_two(size) or size <= current:
            raise ArgumentError(
                f"adain_swap.grow: size must be a power of 2 above the output resolution {current}, got {size}"
            )
        in_width = self._feature_widths[-1]
        out_width = max(in_width // 2, _MIN_UPDATE_WIDTH)
        reference = self.to_rgb.weight
        layer = ResolutionUpdate(in_width, out_width, size, self.template_skip)
        self.updates.append(layer.to(device=reference.device, dtype=reference.dtype))
        self.growth.append(size)
        self._feature_widths.append(out_width)
        for head in self._retired_heads():
            head.requires_grad_(False)
        self.set_fade(0.0 if fade_in else 1.0)
        return self.new_parameter_names()

    def set_fade(self, alpha: float) -> None:
        """Blend weight of the newest update layer against the upsampled previous output."""
        if not 0.0 <= alpha <= 1.0:
            raise ArgumentError(f"adain_swap.set_fade: alpha must be in [0, 1], got {alpha}")
        self.fade_alpha.fill_(alpha)

    def new_parameter_names(self) -> list[str]:
        """Parameters of the outermost update layer (the last grow, also after a rebuild); [] if none."""
        if not self.updates:
            return []
        prefix = f"updates.{len(self.updates) - 1}."
        return [name for name, _ in self.named_parameters() if name.startswith(prefix)]

    def trainable_parameter_names(self) -> list[str]:
        """Every parameter training may update: not the frozen identity encoder, not retired heads.

        A to-RGB head older than the last two no longer reaches the output, so it gets no gradient
        (and would make DDP wait for one); it is kept only so saved weights stay loadable.
        """
        frozen = {id(p) for head in self._retired_heads() for p in head.parameters()}
        if self.identity_frozen:
            frozen.update(id(p) for p in self.identity.parameters())
        return [name for name, p in self.named_parameters() if id(p) not in frozen]

    def _retired_heads(self) -> list[nn.Module]:
        heads: list[nn.Module] = [self.to_rgb, *(layer.to_rgb for layer in self.updates)]
        return heads[:-2]


def _check_architecture(
    resolution: int,
    channels: int,
    max_channels: int,
    downsamples: int,
    identity: str,
    identity_args: dict[str, Any],
    growth: list[int],
) -> None:
    """Reject argument combinations no architecture exists for, naming the argument."""
    if not _is_power_of_two(resolution) or resolution < 16:
        raise ArgumentError(f"adain_swap: resolution must be a power of 2 >= 16, got {resolution}")
    if resolution >> downsamples < _MIN_CORE_FEATURES:
        raise ArgumentError(
            f"adain_swap: downsamples={downsamples} shrinks resolution {resolution} "
            f"below {_MIN_CORE_FEATURES} px at the bottleneck"
        )
    if channels <= 0 or max_channels < channels:
        raise ArgumentError(
            f"adain_swap: need 0 < channels <= max_channels, got channels={channels}, max_channels={max_channels}"
        )
    if identity == "learned" and identity_args:
        raise ArgumentError(
            "adain_swap: identity_args are only for a registered identity encoder, not identity='learned'"
        )
    previous = resolution
    for size in growth:
        if not _is_power_of_two(size) or size <= previous:
            raise ArgumentError(
                f"adain_swap: growth must be strictly increasing powers of 2 above resolution {resolution}, "
                f"got {growth}"
            )
        previous = size
