"""retinaface-pytorch, imported in this one place so that its absence is one clear line.

It cannot be a dependency of the zoo's wheel: version 0.0.8 pins torch==1.9.0,
torchvision==0.10.0 and albumentations==1.0.0, which no resolver can combine with the zoo's own
requirements. The parts used here run on current releases, so it is installed without its
dependencies (the uv environment of a checkout does this through a dependency group and overrides).
"""

from __future__ import annotations

from zoo.errors import ZooError

__all__ = ["INSTALL_COMMAND", "FPN", "SSH", "RetinaFace", "conv_bn", "conv_dw", "decode", "decode_landm"]

INSTALL_COMMAND = "pip install --no-deps retinaface-pytorch==0.0.8"

try:
    from retinaface.box_utils import decode, decode_landm
    from retinaface.net import FPN, SSH, conv_bn, conv_dw
    from retinaface.network import RetinaFace
except ModuleNotFoundError as missing:
    if missing.name != "retinaface":
        raise
    raise ZooError(
        "detector 'retinaface' needs the retinaface-pytorch package, which is not installed: run "
        f"`{INSTALL_COMMAND}` (--no-deps: its torch==1.9 pins cannot be met and are not needed; "
        "in a uv environment `uv pip install --no-deps retinaface-pytorch==0.0.8`), "
        "or use the default detector 'dlib'"
    ) from None
