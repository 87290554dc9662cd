"""Atomic checkpoints: everything needed to continue a run mid-stage and end bit-identical.

A checkpoint is a directory written under a temporary name, every file fsynced, then renamed and
published by atomically replacing the ``latest`` pointer. A crash (``kill -9``, full disk) at any
moment leaves the previous checkpoint intact and selected. Tensors go to safetensors; everything
else to JSON — nothing is ever unpickled.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from safetensors import SafetensorError

from zoo.atomic import fsync_dir, fsync_file, write_atomic
from zoo.errors import ZooError

__all__ = [
    "Checkpoint",
    "Checkpointer",
    "capture_rng",
    "restore_rng",
    "flatten_optimizer_state",
    "unflatten_optimizer_state",
]

POINTER = "latest"


def capture_rng() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """torch, numpy and python RNG states (the data order itself is derived from seeds)."""
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors["cuda"] = torch.cuda.get_rng_state()
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    meta = {
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(gauss)],
        "python": [version, list(internal), gauss_next],
    }
    return tensors, meta


def restore_rng(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["torch"])
    if "cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["cuda"])
    kind, keys, pos, has_gauss, gauss = meta["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    version, internal, gauss_next = meta["python"]
    random.setstate((version, tuple(internal), gauss_next))


def flatten_optimizer_state(state: dict[str, Any], prefix: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split ``optimizer.state_dict()`` into tensors (safetensors) and JSON-able structure."""
    tensors: dict[str, torch.Tensor] = {}
    per_param: dict[str, dict[str, Any]] = {}
    for index, values in state["state"].items():
        entry: dict[str, Any] = {}
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                name = f"{prefix}.{index}.{key}"
                tensors[name] = value.detach().clone().contiguous()
                entry[key] = {"tensor": name}
            else:
                entry[key] = {"value": value}
        per_param[str(index)] = entry
    return tensors, {"state": per_param, "param_groups": state["param_groups"]}


def unflatten_optimizer_state(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state = {
        int(index): {key: tensors[item["tensor"]] if "tensor" in item else item["value"] for key, item in entry.items()}
        for index, entry in meta["state"].items()
    }
    return {"state": state, "param_groups": meta["param_groups"]}


@dataclass
class Checkpoint:
    """What a run needs to continue: position, parts, artifacts, the stage's own state, RNG."""

    stage_index: int
    stage_done: bool
    step: int
    recipe_yaml: str
    part_args: dict[str, dict[str, Any]]
    part_tensors: dict[str, dict[str, torch.Tensor]]
    artifacts: dict[str, dict[str, torch.Tensor]]
    facts: dict[str, dict[str, Any]]
    stage_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    stage_meta: dict[str, Any] = field(default_factory=dict)
    rng_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    rng_meta: dict[str, Any] = field(default_factory=dict)
    metrics_lines: int = 0
    path: Path | None = None

    @property
    def label(self) -> str:
        where = "end of" if self.stage_done else f"step {self.step} of"
        return f"{where} stage {self.stage_index + 1}"  # counted from 1, as people read it


def _split(flat: dict[str, torch.Tensor]) -> dict[str, dict[str, torch.Tensor]]:
    grouped: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in flat.items():
        group, _, name = key.partition("/")
        grouped.setdefault(group, {})[name] = tensor
    return grouped


def _join(grouped: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {f"{group}/{name}": t.detach().contiguous() for group, items in grouped.items() for name, t in items.items()}


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    # Tied/shared storage is not allowed by safetensors: give each entry its own copy.
    try:
        save_file({k: v.detach().cpu().clone().contiguous() for k, v in tensors.items()}, str(path))
    except SafetensorError as error:  # the Rust writer reports a full disk as its own error type
        code = re.search(r"os error (\d+)", str(error))
        raise (OSError(int(code[1]), os.strerror(int(code[1]))) if code else OSError(str(error))) from None
    fsync_file(path)


#: Version of the checkpoint folder layout; 1 was the untyped ``artifact_meta`` state before typed facts.
FORMAT = 2


class Checkpointer:
    """Writes and finds checkpoints in ``<run_dir>/checkpoints``; keeps the newest ``keep``."""

    def __init__(self, run_dir: Path, keep: int = 2):
        self.root = run_dir / "checkpoints"
        self.keep = keep

    def latest(self) -> Checkpoint | None:
        """The checkpoint ``latest`` points at; if its folder was deleted (or it names none), the newest one left.

        A corrupt or truncated file is named, together with the previous checkpoint that still
        reads: deleting the broken folder (as the message says) resumes from that one.
        """
        pointer = self.root / POINTER
        if not pointer.is_file():
            return None
        name = pointer.read_text().strip()
        directory = self.root / name
        if not (name.startswith("ckpt-") and "/" not in name and directory.is_dir()):  # emptied, edited or stale
            remaining = self._folders()
            if not remaining:
                return None
            directory = remaining[-1]
        try:
            return self._read(directory)
        except _Unreadable as error:
            raise ZooError(f"{error}; {self._offer_previous(directory)}") from None

    def _folders(self) -> list[Path]:
        return sorted(p for p in self.root.glob("ckpt-*") if p.is_dir())

    def _offer_previous(self, broken: Path) -> str:
        for candidate in reversed([p for p in self._folders() if p.name < broken.name]):
            try:
                good = self._read(candidate)
            except _Unreadable:
                continue
            return f"the previous checkpoint {candidate.name} ({good.label}) reads fine: delete {broken} to resume from it"
        return f"no earlier checkpoint reads: delete {self.root} to start the run over"

    def save(self, checkpoint: Checkpoint, sequence: int) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"ckpt-{sequence:06d}-s{checkpoint.stage_index:02d}-{checkpoint.step:07d}"
        final = self.root / name
        temporary = self.root / f".{name}.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        previous = (self.root / POINTER).read_text().strip() if (self.root / POINTER).is_file() else None
        try:
            temporary.mkdir()
            self._write(checkpoint, temporary)
            fsync_dir(temporary)
            shutil.rmtree(final, ignore_errors=True)
            os.replace(temporary, final)
            fsync_dir(self.root)
            write_atomic(self.root / POINTER, name.encode())
        except OSError as error:
            shutil.rmtree(temporary, ignore_errors=True)
            kept = f"the previous checkpoint ({previous}) is intact" if previous else "no earlier checkpoint exists"
            raise ZooError(f"could not write checkpoint in {self.root}: {error.strerror or error}; {kept}") from None
        self._prune(keep_name=name)
        checkpoint.path = final
        return final

    def _prune(self, keep_name: str) -> None:
        """Old checkpoints beyond ``keep``, and the temporaries of saves a kill interrupted (the run's lock
        means no other process is writing one now)."""
        done = sorted(p for p in self.root.glob("ckpt-*") if p.is_dir() and p.name != keep_name)
        for old in [*done[: max(0, len(done) - (self.keep - 1))], *self.root.glob(".ckpt-*.tmp")]:
            shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def _write(checkpoint: Checkpoint, directory: Path) -> None:
        _save_tensors(_join(checkpoint.part_tensors), directory / "parts.safetensors")
        _save_tensors(_join(checkpoint.artifacts), directory / "artifacts.safetensors")
        _save_tensors(checkpoint.stage_tensors, directory / "stage.safetensors")
        _save_tensors(checkpoint.rng_tensors, directory / "rng.safetensors")
        state = {
            "format": FORMAT,
            "stage_index": checkpoint.stage_index,
            "stage_done": checkpoint.stage_done,
            "step": checkpoint.step,
            "part_args": checkpoint.part_args,
            "facts": checkpoint.facts,
            "stage_meta": checkpoint.stage_meta,
            "rng_meta": checkpoint.rng_meta,
            "metrics_lines": checkpoint.metrics_lines,
        }
        (directory / "recipe.yaml").write_text(checkpoint.recipe_yaml)
        fsync_file(directory / "recipe.yaml")
        with open(directory / "state.json", "w") as handle:
            json.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())

    @staticmethod
    def _read(directory: Path) -> Checkpoint:
        state = _read_part(directory / "state.json", lambda p: json.loads(p.read_text()))
        _check_format(state, directory)
        tensors = {
            name: _read_part(directory / f"{name}.safetensors", lambda p: load_file(str(p)))
            for name in ("parts", "artifacts", "stage", "rng")
        }
        recipe_yaml = _read_part(directory / "recipe.yaml", lambda p: p.read_text())
        try:
            return Checkpoint(
                stage_index=state["stage_index"],
                stage_done=state["stage_done"],
                step=state["step"],
                recipe_yaml=recipe_yaml,
                part_args=state["part_args"],
                part_tensors=_split(tensors["parts"]),
                artifacts=_split(tensors["artifacts"]),
                facts=state["facts"],
                stage_tensors=tensors["stage"],
                stage_meta=state["stage_meta"],
                rng_tensors=tensors["rng"],
                rng_meta=state["rng_meta"],
                metrics_lines=state["metrics_lines"],
                path=directory,
            )
        except (KeyError, TypeError) as error:
            raise _Unreadable(directory / "state.json", f"no field {error}") from None


def _check_format(state: dict[str, Any], directory: Path) -> None:
    """A checkpoint from another zoo version is a version problem, not a corrupt file to delete."""
    if not isinstance(state, dict):
        raise _Unreadable(directory / "state.json", "not a JSON object")
    written = state.get("format", 1)
    if written == FORMAT:
        return
    older = isinstance(written, int) and written < FORMAT
    raise ZooError(
        f"checkpoint {directory} was written by {'an older' if older else 'a newer'} faceswap-zoo (checkpoint format "
        f"{written}, this version reads {FORMAT}): finish the run with the version that started it, or start it over"
    )


class _Unreadable(Exception):
    """One file of a checkpoint folder that is missing, truncated or corrupt."""

    def __init__(self, path: Path, reason: object):
        first = str(reason).strip().splitlines()
        super().__init__(f"checkpoint file {path} is unreadable ({first[0] if first else type(reason).__name__})")


def _read_part(path: Path, reader: Any) -> Any:
    try:
        return reader(path)
    except FileNotFoundError:
        raise _Unreadable(path, "missing") from None
    except (OSError, ValueError, SafetensorError) as error:
        raise _Unreadable(path, error) from None
