"""zoo.weights: the one hf:// grammar, the one strict safetensors loader, pickles refused unopened."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save, save_file
from torch import nn

from hub_server import HubServer
from zoo.errors import WeightsError
from zoo.weights import HubFile, load_strict, parse_hf, resolve_weights


@pytest.mark.parametrize("spec, parsed", [
    ("hf://org/repo/model.safetensors", HubFile("org/repo", "model.safetensors")),
    ("hf://org/repo/sub/dir/model.safetensors", HubFile("org/repo", "sub/dir/model.safetensors")),
    ("hf://org/repo@v1.0/model.safetensors", HubFile("org/repo", "model.safetensors", "v1.0")),
    ("hf://org/repo@0123abcd/a/b.safetensors", HubFile("org/repo", "a/b.safetensors", "0123abcd")),
])
def test_the_hf_grammar(spec: str, parsed: HubFile) -> None:
    assert parse_hf(spec) == parsed


@pytest.mark.parametrize("spec", ["hf://only-org", "hf://org/model.safetensors", "hf://org/repo/", "hf://org//f",
                                  "hf://org/repo@/f.safetensors", "hf://org/repo/dir//f.safetensors"])
def test_what_the_hf_grammar_refuses(spec: str) -> None:
    with pytest.raises(WeightsError, match=r"must look like hf://org/repo\[@revision\]/path/file.safetensors"):
        parse_hf(spec)


class _Payload:
    """Unpickling this creates a file: proof that a pickle was (or was not) executed."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("spec", ["model.pth", "hf://org/repo/pytorch_model.bin", "https://127.0.0.1:9/w.ckpt?x=1",
                                  "http://127.0.0.1:9/weights.PT"])
def test_pickle_names_are_refused_before_any_file_or_download(spec: str) -> None:
    # the URLs point at a closed port: a download attempt would fail with another message
    with pytest.raises(WeightsError, match=r"^enc: .*: pickle-based weights are never loaded \(arbitrary code"):
        resolve_weights(spec, what="enc")


@pytest.mark.parametrize("content", ["pickle", "torch.save"])
def test_a_pickle_under_a_safetensors_name_is_refused_and_never_unpickled(tmp_path: Path, content: str) -> None:
    marker, disguised = tmp_path / "executed", tmp_path / "model.safetensors"
    if content == "pickle":
        disguised.write_bytes(pickle.dumps(_Payload(marker)))
    else:
        torch.save({"weight": _Payload(marker)}, disguised)
    with pytest.raises(WeightsError, match=r"model.safetensors: pickle-based weights are never loaded"):
        load_strict(nn.Linear(2, 2), disguised, what="enc")
    assert not marker.exists()


def test_strict_load_fits_exactly_or_names_the_difference(tmp_path: Path) -> None:
    source = nn.Linear(3, 2)
    save_file(source.state_dict(), tmp_path / "good.safetensors")
    target = nn.Linear(3, 2)
    load_strict(target, resolve_weights(tmp_path / "good.safetensors", what="enc"), what="enc")
    assert torch.equal(target.weight, source.weight) and torch.equal(target.bias, source.bias)
    with pytest.raises(WeightsError, match=r"good.safetensors: weights do not fit enc: 1 shape mismatches: "
                                           r"weight file \(2, 3\) vs model \(2, 4\)"):
        load_strict(nn.Linear(4, 2), tmp_path / "good.safetensors", what="enc")
    broken = {"weight": torch.full((2, 3), float("nan")), "bias": torch.zeros(2)}
    save_file(broken, tmp_path / "nan.safetensors")
    with pytest.raises(WeightsError, match=r"tensor 'weight' holds NaN or infinite values"):
        load_strict(nn.Linear(3, 2), tmp_path / "nan.safetensors", what="enc")
    with pytest.raises(WeightsError, match=r"^enc: weights file not found: .*absent.safetensors$"):
        resolve_weights(tmp_path / "absent.safetensors", what="enc")


def test_a_pinned_hub_revision_downloads_that_commit(tmp_path: Path) -> None:
    old, new = nn.Linear(2, 1), nn.Linear(2, 1)
    with HubServer() as hub:
        first = hub.put_files("org/enc", {"sub/enc.safetensors": save(old.state_dict())})
        hub.put_files("org/enc", {"sub/enc.safetensors": save(new.state_dict())})
        script = (
            "import sys, torch; from torch import nn; from zoo.weights import load_strict, resolve_weights\n"
            "for spec in sys.argv[1:]:\n"
            "    module = nn.Linear(2, 1); load_strict(module, resolve_weights(spec, what='enc'), what='enc')\n"
            "    print(repr(module.weight.detach().flatten().tolist()))\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
        env.update(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "home"),
                   HF_HUB_CACHE=str(tmp_path / "cache"), HF_HUB_DISABLE_TELEMETRY="1")
        result = subprocess.run([sys.executable, "-c", script, f"hf://org/enc@{first}/sub/enc.safetensors",
                                 "hf://org/enc/sub/enc.safetensors"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [repr(old.weight.detach().flatten().tolist()),
                                          repr(new.weight.detach().flatten().tolist())]


@pytest.mark.parametrize("first_bytes", [b"\x80", b"PK"])
def test_a_safetensors_header_length_that_reads_like_a_pickle_still_loads(tmp_path: Path, first_bytes: bytes) -> None:
    source, path = nn.Linear(2, 1), tmp_path / "w.safetensors"
    save_file(source.state_dict(), path, metadata={"pad": ""})
    start, period = int.from_bytes(path.read_bytes()[:8], "little"), 256 ** len(first_bytes)
    wanted = start + (int.from_bytes(first_bytes, "little") - start) % period  # a header length reading PK / \x80
    grow = wanted - start
    for padding in range(max(0, grow - 16), grow + 16):  # metadata grows the header (padded to 8 bytes)
        save_file(source.state_dict(), path, metadata={"pad": "x" * padding})
        if path.read_bytes()[: len(first_bytes)] == first_bytes:
            break
    assert path.read_bytes()[: len(first_bytes)] == first_bytes
    target = nn.Linear(2, 1)
    load_strict(target, path, what="enc")
    assert torch.equal(target.weight, source.weight)


@pytest.mark.parametrize("location, message", [
    ("hf://org/model.safetensors", r"weights: must look like hf://org/repo\[@revision\]/path/file.safetensors"),
    ("converted/enc.pth", r"weights: a pickle checkpoint, never loaded"),
])
def test_a_weights_argument_is_checked_with_the_arguments(location: str, message: str) -> None:
    import zoo
    from zoo.errors import ArgumentError

    with pytest.raises(ArgumentError, match=message):
        zoo.build("backbone", "mobilefacenet", weights=location)


def test_weights_arguments_are_found_by_their_marker_not_their_name() -> None:
    from pydantic import BaseModel

    import zoo
    from zoo.paths import WeightsLocation
    from zoo.weights import map_weights, weights_fields

    class Schema(BaseModel):
        encoder_file: WeightsLocation | None = None
        weights: str | None = None  # only named like one

    assert weights_fields(Schema) == ["encoder_file"]
    assert weights_fields(zoo.get_spec("detector", "retinaface").schema()) == ["weights"]  # not its pickle `checkpoint`
    args = {"identity": {"name": "mobilefacenet", "weights": "enc.safetensors"}, "resolution": 16}
    seen = map_weights("backbone", "adain_swap", args, "parts.generator.args", lambda path, value: f"<{path}>")
    assert seen == {"identity": {"name": "mobilefacenet", "weights": "<parts.generator.args.identity.weights>"},
                    "resolution": 16}
    assert args["identity"]["weights"] == "enc.safetensors"  # a copy: the caller's arguments are unchanged
