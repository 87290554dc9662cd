"""The generator through ONNX Runtime: ``zoo export --onnx MODEL`` and ``zoo swap --runtime onnx``.

The exported graph takes (source, template) aligned faces at the model's input resolution, any
batch size, and returns the swapped faces, like ``generator.swap``. It is written as
``model.onnx`` beside ``model.safetensors`` and records the SHA-256 of the weights it was
exported from, so a model folder retrained or replaced since is refused instead of silently
running old weights. PyTorch's antialiased bilinear downscale has no ONNX operator; it is
exported as the two constant matrix products it is (separable and linear), which keeps parity
with PyTorch at float precision.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from zoo.errors import ZooError
from zoo.remedy import FORCE

__all__ = ["ONNX_NAME", "OnnxGenerator", "export_onnx", "load_onnx_generator"]

ONNX_NAME = "model.onnx"
_WEIGHTS_NAME = "model.safetensors"
_OPSET = 17


def _weights_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    with open(folder / _WEIGHTS_NAME, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _resize_matrix(size_in: int, size_out: int) -> torch.Tensor:
    """The size_out × size_in matrix of PyTorch's antialiased bilinear resize along one axis."""
    # width 4, not 1: PyTorch's antialias kernel special-cases a width-1 input
    basis = torch.eye(size_in, dtype=torch.float64).reshape(size_in, 1, size_in, 1).expand(size_in, 1, size_in, 4)
    columns = F.interpolate(basis, size=(size_out, 4), mode="bilinear", align_corners=False, antialias=True)[..., 0]
    return columns.reshape(size_in, size_out).T.contiguous().float()


def _antialiased_resize_symbolic(graph, images, output_size, align_corners, *scales):  # noqa: ANN001, ARG001
    from torch.onnx import symbolic_helper

    height, width = symbolic_helper._get_tensor_sizes(images)[2:]
    out_height, out_width = symbolic_helper._maybe_get_const(output_size, "is")
    rows = graph.op("Constant", value_t=_resize_matrix(height, out_height))
    columns = graph.op("Constant", value_t=_resize_matrix(width, out_width).T.contiguous())
    return graph.op("MatMul", graph.op("MatMul", rows, images), columns)


class _SwapGraph(torch.nn.Module):
    """The generator as a graph of (source, template) → swapped face, and its blend mask when it predicts one
    (``masked_swap``), so paste-back through ONNX Runtime blends exactly as through PyTorch."""

    def __init__(self, generator: torch.nn.Module) -> None:
        super().__init__()
        self.generator = generator
        self.with_mask = callable(getattr(generator, "forward_with_mask", None))

    @property
    def output_names(self) -> list[str]:
        return ["swapped", "mask"] if self.with_mask else ["swapped"]

    def forward(self, source: torch.Tensor, template: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if self.with_mask:
            face, mask = self.generator.forward_with_mask(source, template)
            return face.clamp(0.0, 1.0), mask
        return self.generator(source, template).clamp(0.0, 1.0)


def export_onnx(folder: Path, generator: torch.nn.Module, force: bool = False) -> Path:
    """Write ``folder/model.onnx`` for ``generator`` (the folder's, already loaded); returns its path.

    An existing export is replaced only with ``force`` (it may be one the user keeps for another
    runtime); the refusal says whether it still matches the weights."""
    import warnings

    import onnx

    path = folder / ONNX_NAME
    if path.exists() and not force:
        matches = path.is_file() and _exported_digest(path) == _weights_digest(folder)
        raise ZooError(f"{path} already exists ({'exported from these weights' if matches else 'not from these weights'}"
                       f"): pass {FORCE} to replace it")
    size = int(generator.input_resolution)
    example = (torch.rand(2, 3, size, size), torch.rand(2, 3, size, size))
    staging = path.with_name(f"{path.name}.partial")
    torch.onnx.register_custom_op_symbolic("aten::_upsample_bilinear2d_aa", _antialiased_resize_symbolic, _OPSET)
    batch = {0: "batch"}
    graph = _SwapGraph(generator.eval())
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, example, str(staging), input_names=["source", "template"],
                          output_names=graph.output_names,
                          dynamic_axes={name: batch for name in ["source", "template", *graph.output_names]},
                          opset_version=_OPSET, dynamo=False)
    model = onnx.load(str(staging))
    for key, value in {"input_resolution": size, "output_resolution": int(generator.output_resolution),
                       "weights_sha256": _weights_digest(folder)}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.save(model, str(staging))
    staging.replace(path)
    return path


class OnnxGenerator:
    """``generator.swap`` through an ONNX Runtime session (CPU), batch of any size."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        self.input_resolution = int(meta["input_resolution"])
        self.output_resolution = int(meta["output_resolution"])
        self.weights_sha256 = meta["weights_sha256"]
        if "mask" in (output.name for output in self.session.get_outputs()):
            self.swap_with_mask = self._swap_with_mask  # only a graph that has the mask offers it, as in PyTorch

    def swap(self, source: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        return self._run(source, template)[0]

    def _swap_with_mask(self, source: torch.Tensor, template: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        face, mask = self._run(source, template)
        return face, mask

    def _run(self, source: torch.Tensor, template: torch.Tensor) -> list[torch.Tensor]:
        feeds = {"source": np.ascontiguousarray(source.float().cpu().numpy()),
                 "template": np.ascontiguousarray(template.float().cpu().numpy())}
        return [torch.from_numpy(output) for output in self.session.run(None, feeds)]

    def to(self, device: str | torch.device) -> OnnxGenerator:
        if torch.device(device).type != "cpu":
            raise ZooError("--runtime onnx runs on the CPU here (onnxruntime CPU build): drop --device")
        return self


def load_onnx_generator(folder: Path, wants_mask: bool = False) -> OnnxGenerator:
    """The folder's ``model.onnx``, refused when missing, exported from other weights, or without the blend
    mask that ``wants_mask`` (the paste-back's ``--mask generator``) needs."""
    path = folder / ONNX_NAME
    if not path.is_file():
        raise ZooError(f"{folder} has no {ONNX_NAME}: run `zoo export --onnx {folder}` first (or drop --runtime onnx)")
    generator = OnnxGenerator(path)
    if generator.weights_sha256 != _weights_digest(folder):
        raise ZooError(f"{path} was exported from other weights than {folder / _WEIGHTS_NAME}: "
                       f"run `zoo export --onnx --force {folder}` again")
    if wants_mask and not callable(getattr(generator, "swap_with_mask", None)):
        raise ZooError(f"{path} has no blend mask output (exported by an older faceswap-zoo): "
                       f"run `zoo export --onnx --force {folder}` again")
    return generator


def _exported_digest(path: Path) -> str | None:
    """The weights digest an export recorded; None for a file that is not one of ours."""
    import onnx

    try:
        props = onnx.load(str(path), load_external_data=False).metadata_props
    except Exception:  # noqa: BLE001 - any unreadable file is simply "not from these weights"
        return None
    return next((entry.value for entry in props if entry.key == "weights_sha256"), None)
