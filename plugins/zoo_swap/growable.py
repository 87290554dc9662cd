"""What every growable swap generator shares: identity source, growth bookkeeping, the swapper API.

The curriculum stages (grow, train with ``trainable: new``, export) rely on exactly these members:
``output_resolution``, ``input_resolution``, ``build_args``, ``swap``, ``grow``, ``set_fade``,
``fade_alpha``, ``new_parameter_names`` and ``trainable_parameter_names``. A generator subclass
supplies its core layers, its ``forward`` and the resolution-update layer it grows by.
"""

from __future__ import annotations

from typing import Annotated, Any

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from zoo.errors import ArgumentError
from zoo.frozen import build_frozen
from zoo.refs import Ref, as_ref
from zoo.resize import resize
from zoo_swap.identity import LearnedIdentity, embedding_dim
from zoo_swap.layers import ResolutionUpdate

__all__ = ["IdentityRef", "GrowableSwapGenerator", "check_architecture", "check_growth", "check_images", "check_pair",
           "is_power_of_two"]

_MIN_UPDATE_WIDTH = 16

#: Where a generator's identity embedding comes from: 'learned' (a small trainable encoder, no weights
#: needed) or a registered identity encoder with its arguments, e.g. {name: mobilefacenet, weights: …}.
IdentityRef = Ref("identity_encoder", special=("learned",))

# The constructor arguments every growable generator shares (one description each, for `zoo info`).
CoreResolution = Annotated[int, Field(ge=16, description="core resolution the encoder/decoder run at: a power of 2")]
Channels = Annotated[int, Field(gt=0, description="width of the full-resolution encoder level")]
MaxChannels = Annotated[int, Field(gt=0, description="cap on the width of deeper levels")]
Downsamples = Annotated[int, Field(ge=0, le=6, description="stride-2 encoder levels (width doubles)")]
Blocks = Annotated[int, Field(ge=0, description="AdaIN fusion residual blocks at the bottleneck")]
Identity = Annotated[IdentityRef, Field(description="'learned' (trainable source encoder) or a registered identity encoder")]
IdDim = Annotated[int, Field(gt=0, description="embedding width of the learned identity encoder")]
Growth = Annotated[list[int], Field(description="output sizes of the resolution-update layers already inserted")]
TemplateSkip = Annotated[bool, Field(description="feed the template at each update layer's own resolution into it")]
_ARGUMENTS = ("resolution", "channels", "max_channels", "downsamples", "blocks", "identity", "id_dim", "growth",
              "template_skip")
_MIN_CORE_FEATURES = 4


def is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def check_images(images: Tensor, name: str) -> None:
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"{name} must be N×3×H×W RGB in [0, 1], got shape {tuple(images.shape)}")


def check_pair(source: Tensor, template: Tensor) -> None:
    check_images(source, "source")
    check_images(template, "template")
    if source.shape[0] != template.shape[0]:
        raise ValueError(f"source batch {source.shape[0]} != template batch {template.shape[0]}")


class GrowableSwapGenerator(nn.Module):
    """Base of the swap generators: subclasses call :meth:`_setup` first and build their core layers.

    ``head_channels`` is what a to-RGB head emits (3, or 4 with a blend mask); update layers get the same.
    """

    component_name = "generator"
    head_channels = 3

    def _setup(self, arguments: dict[str, Any]) -> int:
        """Check and record the constructor arguments (a subclass passes its ``locals()``), build the
        identity source; returns the embedding width."""
        args = {name: arguments[name] for name in _ARGUMENTS}
        channels, max_channels, id_dim = args["channels"], args["max_channels"], args["id_dim"]
        check_architecture(self.component_name, args["resolution"], channels, max_channels, args["downsamples"],
                           args["growth"])
        args.pop("growth")
        identity = as_ref(IdentityRef, args["identity"])
        self._identity_ref = identity
        self._args = dict(args, identity=identity.as_yaml())
        self.resolution: int = args["resolution"]
        self.template_skip: bool = args["template_skip"]
        self.growth: list[int] = []
        self.identity_frozen = identity.kind is not None
        if self.identity_frozen:
            self.identity: nn.Module = build_frozen(identity, "forward", self.component_name)
            return embedding_dim(self.identity)
        self.identity = LearnedIdentity(channels, max_channels, id_dim)
        return id_dim

    def _finish(self, core_width: int, growth: list[int]) -> None:
        """After the core layers exist: the update list, the fade buffer, and any recorded growth."""
        self.updates = nn.ModuleList()
        self._feature_widths = [core_width]
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
        return dict(self._args, growth=list(self.growth), identity=self._identity_ref.without("weights").as_yaml())

    # -- identity and the swapper interface -----------------------------------------------------

    def embed(self, source: Tensor) -> Tensor:
        """The source's identity embedding (N×D) that drives every AdaIN layer."""
        if self.identity_frozen:
            with torch.no_grad():
                return self.identity(source)
        return self.identity(resize(source, self.resolution))

    def identity_for(self, source: Tensor, identity: Tensor | None) -> Tensor:
        """What the AdaIN layers get: ``identity`` (1×D or N×D, e.g. from :meth:`identity_of`) when
        given, else the embedding of ``source`` itself."""
        if identity is None:
            return self.embed(source)
        return identity.to(source).expand(source.shape[0], -1)

    @torch.no_grad()
    def identity_of(self, faces: Tensor) -> Tensor:
        """One identity for several aligned photos of a person: the normalised mean of their embeddings (1×D).

        Averaging over photos cancels what one photo gets wrong (pose, light, expression leaking into
        the embedding); the mean of unit vectors is renormalised so AdaIN sees the scale it was trained on.
        """
        check_images(faces, "faces")
        was_training = self.training
        self.eval()
        try:
            embeddings = F.normalize(self.embed(faces).float(), dim=1)
        finally:
            self.train(was_training)
        return F.normalize(embeddings.mean(dim=0, keepdim=True), dim=1)

    def template_at(self, template: Tensor, size: int) -> Tensor | None:
        return resize(template, size) * 2 - 1 if self.template_skip else None

    @torch.no_grad()
    def swap(self, source: Tensor, template: Tensor, identity: Tensor | None = None) -> Tensor:
        """The shared swapper interface: an eval-mode, no-grad forward on aligned faces.

        ``identity`` (from :meth:`identity_of`) replaces the source's own embedding, e.g. one averaged
        over several photos; ``source`` still enters the encoder beside the template."""
        was_training = self.training
        self.eval()
        try:
            return self(source, template, identity)
        finally:
            self.train(was_training)

    def train(self, mode: bool = True) -> GrowableSwapGenerator:
        super().train(mode)
        if self.identity_frozen:
            self.identity.eval()
        return self

    # -- growth (P3/P7) -------------------------------------------------------------------------

    def grow(self, size: int | None = None, fade_in: bool = True) -> list[str]:
        """Append a resolution-update layer; return the names of its (new) parameters.

        The output resolution doubles, or becomes ``size`` (a larger power of 2). With ``fade_in``
        the new layer starts fully blended out (``fade_alpha`` 0): the output is then exactly the
        upsampled previous output until :meth:`set_fade` raises alpha. Earlier layers are never
        touched, so their weights stay bit-for-bit identical.
        """
        current = self.output_resolution
        size = 2 * current if size is None else size
        if not is_power_of_two(size) or size <= current:
            raise ArgumentError(
                f"{self.component_name}.grow: size must be a power of 2 above the output resolution {current}, got {size}"
            )
        in_width = self._feature_widths[-1]
        out_width = max(in_width // 2, _MIN_UPDATE_WIDTH)
        reference = self.to_rgb.weight
        layer = ResolutionUpdate(in_width, out_width, size, self.template_skip, self.head_channels)
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
            raise ArgumentError(f"{self.component_name}.set_fade: alpha must be in [0, 1], got {alpha}")
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


def check_growth(component: str, resolution: int, growth: list[int]) -> None:
    previous = resolution
    for size in growth:
        if not is_power_of_two(size) or size <= previous:
            raise ArgumentError(
                f"{component}: growth must be strictly increasing powers of 2 above resolution {resolution}, "
                f"got {growth}"
            )
        previous = size


def check_architecture(
    component: str,
    resolution: int,
    channels: int,
    max_channels: int,
    downsamples: int,
    growth: list[int],
) -> None:
    """Reject argument combinations no architecture exists for, naming the argument."""
    if not is_power_of_two(resolution) or resolution < 16:
        raise ArgumentError(f"{component}: resolution must be a power of 2 >= 16, got {resolution}")
    if resolution >> downsamples < _MIN_CORE_FEATURES:
        raise ArgumentError(
            f"{component}: downsamples={downsamples} shrinks resolution {resolution} "
            f"below {_MIN_CORE_FEATURES} px at the bottleneck"
        )
    if channels <= 0 or max_channels < channels:
        raise ArgumentError(
            f"{component}: need 0 < channels <= max_channels, got channels={channels}, max_channels={max_channels}"
        )
    check_growth(component, resolution, growth)
