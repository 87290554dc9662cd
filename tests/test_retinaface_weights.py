"""RetinaFace weights that arrive by themselves: a real HTTP download, the pin, the restricted unpickler, one conversion."""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from zoo.errors import WeightsError
from zoo_retinaface.detector import RetinaFaceDetector
from zoo_retinaface.network import build_network
from zoo_retinaface.published import RESNET50, PublishedCheckpoint, converted_weights


class _CountingHandler(SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """A loopback file server (stdlib http.server in a thread) over a fresh folder."""
    served = tmp_path / "served"
    served.mkdir()
    handler = type("Handler", (_CountingHandler,), {"requests": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served, handler.requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))
    for name in (RESNET50.env, RESNET50.mirror_env):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "cache"


def _published_zip(folder: Path, state: object, name: str = "net_2020-07-20.zip") -> Path:
    """The published format: a zip holding one legacy (pre-1.6) torch.save pickle."""
    inner = folder / "net_2020-07-20.pth"
    torch.save(state, inner, _use_new_zipfile_serialization=False)
    outer = folder / name
    with zipfile.ZipFile(outer, "w") as archive:
        archive.write(inner, inner.name)
    inner.unlink()
    return outer


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pinned(url: str, sha256: str) -> PublishedCheckpoint:
    return PublishedCheckpoint(name="net_2020-07-20", url=url, sha256=sha256, argument="checkpoint",
                               env="ZOO_TEST_CHECKPOINT", mirror_env="ZOO_TEST_URL")


def test_download_is_checked_converted_once_and_loads_strictly(server, cache: Path) -> None:
    base, served, requests = server
    state = build_network("mobilenet0.25").state_dict()
    archive = _published_zip(served, state)
    published = _pinned(f"{base}/{archive.name}", _digest(archive))

    converted = converted_weights(published, local=None, what="test")
    assert converted == cache / "weights" / "net_2020-07-20.safetensors"
    tensors = load_file(str(converted))
    assert tensors.keys() == state.keys()
    assert all(torch.equal(tensors[name], state[name]) for name in state)
    assert converted_weights(published, local=None, what="test") == converted
    assert requests == [f"/{archive.name}"]  # the second use read the conversion, not the network

    detector = RetinaFaceDetector(body="mobilenet0.25", weights=str(converted))
    loaded = detector.network.state_dict()
    assert all(torch.equal(loaded[name], state[name]) for name in state)


def test_the_published_prefix_pin_is_checked_too(server, cache: Path) -> None:
    base, served, _ = server
    archive = _published_zip(served, {"w": torch.ones(3)})
    converted = converted_weights(_pinned(f"{base}/{archive.name}", _digest(archive)[:9]), local=None, what="test")
    assert torch.equal(load_file(str(converted))["w"], torch.ones(3))


def test_a_download_with_the_wrong_hash_is_refused_and_not_kept(server, cache: Path) -> None:
    base, served, _ = server
    archive = _published_zip(served, {"w": torch.zeros(2)})
    published = _pinned(f"{base}/{archive.name}", "0" * 64)
    with pytest.raises(WeightsError) as caught:
        converted_weights(published, local=None, what="test")
    download = cache / "downloads" / archive.name
    assert str(caught.value) == (f"test: {download} is not the published checkpoint {published.url}: its SHA-256 is "
                                 f"{_digest(archive)}, the pin is {'0' * 64}; refusing to load it")
    assert not download.exists() and not published.converted_path().exists()


class _RunsACommand:
    """What a hostile checkpoint carries: unpickling it would run ``touch``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_with_a_non_tensor_global_is_refused_by_the_weights_only_unpickler(server, tmp_path: Path) -> None:
    base, served, _ = server
    marker = tmp_path / "code-ran"
    archive = _published_zip(served, {"w": torch.zeros(2), "payload": _RunsACommand(marker)})
    published = _pinned(f"{base}/{archive.name}", _digest(archive))  # even a correctly pinned file
    with pytest.raises(WeightsError) as caught:
        converted_weights(published, local=None, what="test")
    message = str(caught.value)
    assert message == (f"test: {published.download_path()} holds more than tensors and was refused by the weights-only "
                       "unpickler (Trying to load unsupported GLOBAL posix.system whose module posix is blocked)")
    assert not marker.exists() and not published.converted_path().exists()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_says_the_url_and_both_ways_to_point_at_a_local_file(monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = f"http://127.0.0.1:{_closed_port()}/{RESNET50.url.rsplit('/', 1)[-1]}"
    monkeypatch.setenv(RESNET50.mirror_env, mirror)
    with pytest.raises(WeightsError) as caught:
        RetinaFaceDetector(body="resnet50")
    assert str(caught.value) == (
        f"retinaface (resnet50): cannot download {mirror} ([Errno 111] Connection refused); download {RESNET50.url} "
        "where there is internet and pass -a checkpoint=PATH (zoo swap/detect/prepare; checkpoint= in a recipe) "
        "or set ZOO_RETINAFACE_CHECKPOINT=PATH")


def test_a_local_copy_is_held_to_the_same_pin_and_left_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _published_zip(tmp_path, {"w": torch.zeros(2)}, name="retinaface_resnet50_2020-07-20-f168fae3c.zip")
    expected = (f"retinaface (resnet50): {copy} is not the published checkpoint {RESNET50.url}: its SHA-256 is "
                f"{_digest(copy)}, the pin is f168fae3c…; refusing to load it")
    with pytest.raises(WeightsError) as by_argument:
        RetinaFaceDetector(body="resnet50", checkpoint=str(copy))
    monkeypatch.setenv(RESNET50.env, str(copy))
    with pytest.raises(WeightsError) as by_environment:
        RetinaFaceDetector(body="resnet50")
    assert str(by_argument.value) == str(by_environment.value) == expected
    assert copy.is_file()
    with pytest.raises(WeightsError, match=r"^retinaface \(resnet50\): checkpoint=.*absent.zip: file not found$"):
        RetinaFaceDetector(body="resnet50", checkpoint=str(tmp_path / "absent.zip"))
