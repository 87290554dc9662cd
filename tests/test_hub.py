"""Push and pull through the real huggingface_hub client against the loopback Hub (tests/hub_server.py).

The client runs in subprocesses (``zoo push``/``zoo pull`` and small Python snippets) because
huggingface_hub reads ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and the cache paths at import time.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hub_server import HubServer
from safetensors.torch import load_file
from test_modelfolder import TINY_D, assert_same_tensors, save_tiny, tiny_generator

import zoo
from zoo.modelfolder import PartSpec, save_model_folder

TOKEN = "hf_zooFakeToken7c1e9a4b2d6f8e0a"
REJECTED = "hf_zooRevokedToken3b5d7f9a1c2e4d6"
ZOO = (
    "import sys; from zoo.cli import cli, main; from zoo.hub_commands import pull_command, push_command; "
    "cli.commands.setdefault('push', push_command); cli.commands.setdefault('pull', pull_command); main(sys.argv[1:])"
)


class Client:
    """Runs the zoo CLI and Python snippets in fresh interpreters configured for the loopback Hub."""

    def __init__(self, hub: HubServer, root: Path):
        self.hub, self.root = hub, root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
        self.env.update(
            HF_ENDPOINT=hub.url,
            HF_HUB_DISABLE_XET="1",
            HF_HOME=str(root / "hf_home"),
            HF_HUB_CACHE=str(root / "hf_cache"),
            HF_TOKEN=TOKEN,
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            NO_ALBUMENTATIONS_UPDATE="1",
        )
        self.outputs: list[str] = []

    def run(self, argv: list[str], ok: bool = True, **env: str | None) -> subprocess.CompletedProcess[str]:
        full_env = {**self.env, **env}
        full_env = {k: v for k, v in full_env.items() if v is not None}
        result = subprocess.run([sys.executable, *argv], env=full_env, capture_output=True, text=True, timeout=300)
        self.outputs += [result.stdout, result.stderr]
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    def zoo(self, *args: str, **env: str | None) -> str:
        return self.run(["-c", ZOO, *args], **env).stdout.strip()

    def zoo_error(self, *args: str, **env: str | None) -> str:
        """The one stderr line of a failing zoo command (exit status 2, no traceback)."""
        result = self.run(["-c", ZOO, *args], ok=False, **env)
        assert result.returncode == 2, result.stderr
        assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
        return result.stderr.strip()

    def load_generators(self, loads: dict[str, tuple[str, str | None]], **env: str | None) -> dict[str, dict]:
        """``zoo.from_pretrained`` each (model, revision) in one interpreter; the tensors it got, by label."""
        out = self.root / "loaded"
        out.mkdir(exist_ok=True)
        code = (
            "import sys, zoo; from safetensors.torch import save_file\n"
            f"for label, model, revision in {[(k, *v) for k, v in loads.items()]!r}:\n"
            "    state = zoo.from_pretrained(model, revision=revision).parts['generator'].state_dict()\n"
            f"    save_file(state, {str(out)!r} + f'/{{label}}.safetensors')\n"
        )
        self.run(["-c", code], **env)
        return {label: load_file(out / f"{label}.safetensors") for label in loads}


@pytest.fixture
def hub():
    server = HubServer(reject_tokens={REJECTED}).start()
    yield server
    server.stop()


@pytest.fixture
def client(hub, tmp_path) -> Client:
    return Client(hub, tmp_path)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A saved folder with a generator and a discriminator, and the generator module itself."""
    root = tmp_path_factory.mktemp("hub_model")
    generator = tiny_generator(seed=11)
    torch.manual_seed(12)
    discriminator = zoo.build("backbone", "patchgan", **TINY_D)
    folder = save_model_folder(
        root / "tiny",
        {"generator": generator, "discriminator": discriminator},
        {"generator": PartSpec("adain_swap", generator.build_args()), "discriminator": PartSpec("patchgan", TINY_D)},
        {"resolution": 32},
        recipe_text="name: tiny\n",
    )
    return folder, generator


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_push_then_from_pretrained_is_bit_exact(client, hub, model):
    folder, generator = model
    url = client.zoo("push", str(folder), "org/tiny")
    assert url == f"{hub.url}/org/tiny/commit/{hub.head('org/tiny')}"
    weights = folder / "model.safetensors"
    assert ("PUT", f"/lfs-upload/{sha256(weights)}") in hub.requests
    assert ("POST", "/org/tiny.git/info/lfs/objects/verify") in hub.requests
    local = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert hub.files_at("org/tiny") == {**local, ".gitattributes": hub.files_at("org/tiny")[".gitattributes"]}

    loaded = client.load_generators({"hub": ("org/tiny", None)})
    assert_same_tensors(generator.state_dict(), loaded["hub"])

    pulled = Path(client.zoo("pull", "org/tiny"))
    assert pulled == client.root / "hf_cache" / "models--org--tiny" / "snapshots" / hub.head("org/tiny")
    assert {p.name: p.read_bytes() for p in pulled.iterdir() if p.name != ".gitattributes"} == local


def test_revision_pinning(client, hub, tmp_path):
    generators = {label: tiny_generator(seed=seed) for seed, label in enumerate(("v1", "v2", "v3"))}
    folders = {label: save_tiny(tmp_path / label, generator) for label, generator in generators.items()}
    v1_sha = client.zoo("push", str(folders["v1"]), "org/pinned").rsplit("/", 1)[1]
    client.zoo("push", str(folders["v2"]), "org/pinned")
    client.zoo("push", str(folders["v3"]), "org/pinned", "--revision", "dev")
    assert len({v1_sha, hub.head("org/pinned"), hub.head("org/pinned", "dev")}) == 3

    loaded = client.load_generators(
        {"v1": ("org/pinned", v1_sha), "main": ("org/pinned", None), "dev": ("org/pinned", "dev")}
    )
    assert_same_tensors(generators["v1"].state_dict(), loaded["v1"])
    assert_same_tensors(generators["v2"].state_dict(), loaded["main"])
    assert_same_tensors(generators["v3"].state_dict(), loaded["dev"])
    assert Path(client.zoo("pull", "org/pinned", "--revision", v1_sha)).name == v1_sha


def test_offline_reload_from_the_cache_with_the_server_stopped(client, hub, model):
    folder, generator = model
    client.zoo("push", str(folder), "org/tiny")
    pulled = client.zoo("pull", "org/tiny")
    endpoint = hub.url
    hub.stop()

    loaded = client.load_generators({"offline": ("org/tiny", None)}, HF_HUB_OFFLINE="1")
    assert_same_tensors(generator.state_dict(), loaded["offline"])
    assert client.zoo("pull", "org/tiny", HF_HUB_OFFLINE="1") == pulled
    assert client.zoo("pull", "org/tiny") == pulled  # hub unreachable: the cached snapshot still serves
    assert client.zoo_error("pull", "org/other", HF_HUB_OFFLINE="1") == (
        f"error: 'org/other' is not in the local Hugging Face cache ({client.root / 'hf_cache'}) and HF_HUB_OFFLINE "
        "is set: pull it once online (`zoo pull org/other`)"
    )
    assert client.zoo_error("pull", "org/other") == (
        f"error: cannot reach the Hugging Face Hub at {endpoint} (ConnectError: [Errno 111] Connection refused) "
        "and 'org/other' is not in the local cache"
    )
    assert client.zoo_error("push", str(folder), "org/tiny") == (
        f"error: cannot reach the Hugging Face Hub at {endpoint} (ConnectError: [Errno 111] Connection refused)"
    )


def test_missing_repo_revision_and_bad_ids(client, hub, model):
    folder, _ = model
    client.zoo("push", str(folder), "org/tiny")
    assert client.zoo_error("pull", "org/nothing") == (
        f"error: no local folder 'org/nothing' and no Hub repo of that name at {hub.url} "
        "(if it is private: set HF_TOKEN or log in with `hf auth login`)"
    )
    assert client.zoo_error("pull", "org/tiny", "--revision", "v9") == (
        f"error: revision 'v9' not found in Hub repo 'org/tiny' ({hub.url})"
    )
    assert client.zoo_error("pull", "org/bad--name") == (
        "error: 'org/bad--name' is neither a local model folder nor a Hub repo id (org/name)"
    )
    assert client.zoo_error("push", str(folder), "not-a-repo") == "error: repo id 'not-a-repo' must look like org/name"
    assert client.zoo_error("push", str(folder.parent), "org/x") == (
        f"error: {folder.parent}: not a model folder (no config.json)"
    )


def test_private_repos_need_a_token(client, hub, model):
    folder, _ = model
    client.zoo("push", str(folder), "org/secret", "--private")
    assert hub.repos["org/secret"].private
    assert client.zoo_error("pull", "org/secret", HF_TOKEN=None).startswith("error: no local folder 'org/secret' and no Hub repo")
    assert client.zoo_error("push", str(folder), "org/secret", HF_TOKEN=None) == (
        "error: pushing needs a Hugging Face token: set HF_TOKEN or log in with `hf auth login`"
    )


def test_repos_that_are_not_complete_zoo_model_folders(client, hub, model):
    hub.put_files("org/pickled", {"config.json": b"{}", "pytorch_model.bin": b"\x80\x04not really a pickle"})
    assert client.zoo_error("pull", "org/pickled") == (
        "error: org/pickled/pytorch_model.bin: pickle-based weights are never loaded (arbitrary code execution); "
        "convert to safetensors"
    )
    assert not any(path.endswith("pytorch_model.bin") for method, path in hub.requests if method == "GET")
    sha = hub.put_files("org/readme-only", {"README.md": b"# nothing here\n"})
    snapshot = client.root / "hf_cache" / "models--org--readme-only" / "snapshots" / sha
    assert client.zoo_error("pull", "org/readme-only") == f"error: {snapshot}: not a model folder (no config.json)"
    folder, _ = model
    sha = hub.put_files("org/no-weights", {"config.json": (folder / "config.json").read_bytes()})
    snapshot = client.root / "hf_cache" / "models--org--no-weights" / "snapshots" / sha
    assert client.zoo_error("pull", "org/no-weights") == (
        f"error: {snapshot / 'model.safetensors'}: missing (config.json names it for part 'generator')"
    )


def test_the_token_is_never_printed_or_written(client, hub, model):
    folder, _ = model
    client.zoo("push", str(folder), "org/tiny", "--revision", "dev")
    client.zoo("pull", "org/tiny", "--revision", "dev")
    assert client.zoo_error("push", str(folder), "org/tiny", HF_TOKEN=REJECTED) == (
        f"error: the Hub at {hub.url} rejected the token (401): check HF_TOKEN or log in again with `hf auth login`"
    )
    client.zoo_error("pull", "org/tiny", "--revision", "v9", HF_TOKEN=REJECTED)
    assert {TOKEN, REJECTED} <= hub.tokens_seen  # the client did send them
    for output in client.outputs:
        assert TOKEN not in output and REJECTED not in output
    written = [p for root in (client.root, folder) for p in root.rglob("*") if p.is_file()]
    assert written
    for path in written:
        data = path.read_bytes()
        assert TOKEN.encode() not in data and REJECTED.encode() not in data, path


def test_python_api_checks_the_folder_before_any_network_call(tmp_path):
    from zoo.modelfolder import ModelFolderError

    with pytest.raises(ModelFolderError, match=f"^model folder not found: {tmp_path / 'missing'}$"):
        zoo.push_to_hub(tmp_path / "missing", "org/x")
    with pytest.raises(ModelFolderError, match=f"^model folder not found: {tmp_path / 'missing'}$"):
        zoo.from_pretrained(tmp_path / "missing")
    with pytest.raises(ModelFolderError, match="^model folder not found: runs/a/b$"):
        zoo.from_pretrained("runs/a/b")
