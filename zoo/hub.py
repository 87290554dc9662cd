"""Model folders on the Hugging Face Hub: pull (with the HF cache and offline mode) and push.

huggingface_hub does the work: ``snapshot_download`` (cache, revisions, ``HF_HUB_OFFLINE``,
``HF_ENDPOINT``) and ``HfApi`` (repo, branch, upload). This module only picks the files a model
folder consists of and turns the client's exceptions into one-line errors. Tokens come from
huggingface_hub's usual sources and are never printed: every message is scrubbed of them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.errors import WeightsError, ZooError
from zoo.modelfolder import (
    CONFIG_NAME,
    GENERATOR,
    ModelFolder,
    ModelFolderError,
    check_part_files,
    load_model_folder,
    read_config,
)
from zoo.weights import PICKLE_SUFFIXES, pickle_refusal

if TYPE_CHECKING:
    from huggingface_hub import CommitInfo

__all__ = ["ALLOW_PATTERNS", "HubError", "download", "from_pretrained", "pull", "push_to_hub", "resolve_model"]

ALLOW_PATTERNS = ["*.safetensors", "*.json", "*.yaml", "*.md", "*.png"]
_REPO_ID = re.compile(r"^[\w.\-]+/[\w.\-]+$")


class HubError(ZooError):
    """The Hub has no such repo, revision or file, cannot be reached, or refused the request."""


def from_pretrained(
    model_id_or_path: str | Path,
    revision: str | None = None,
    parts: Iterable[str] = (GENERATOR,),
    allow_external_weights: bool = False,
) -> ModelFolder:
    """Load a model folder from a local directory or a Hub repo id (``org/name``), strictly.

    ``allow_external_weights`` trusts weight paths in the config that point outside the model's
    own folder or repo (another Hub repo, an absolute path); by default they are refused.
    """
    return load_model_folder(resolve_model(model_id_or_path, revision), parts, allow_external_weights)


def resolve_model(model_id_or_path: str | Path, revision: str | None = None) -> Path:
    """The local folder of a model: the directory itself if it exists, else the Hub snapshot."""
    local = Path(model_id_or_path).expanduser()
    if local.exists():
        if revision is not None:
            raise HubError(f"a revision applies to Hub repos only; {local} is a local folder")
        return local
    text = str(model_id_or_path)
    if isinstance(model_id_or_path, Path) or text.startswith((".", "/", "~")) or text.count("/") > 1 or "\\" in text:
        raise ModelFolderError(f"model folder not found: {local}")
    return download(text, revision)


def pull(repo_id: str, revision: str | None = None) -> Path:
    """``zoo pull``: the model folder downloaded (or found in the cache) and checked complete."""
    folder = download(repo_id, revision)
    check_part_files(folder, read_config(folder))
    return folder


def download(repo_id: str, revision: str | None = None) -> Path:
    """Fetch a model folder's files (safetensors, json, yaml, md, png only) into the HF cache."""
    from huggingface_hub import snapshot_download

    from zoo import __version__

    try:
        snapshot = Path(
            snapshot_download(
                repo_id,
                revision=revision,
                allow_patterns=ALLOW_PATTERNS,
                library_name="faceswap-zoo",
                library_version=__version__,
            )
        )
    except Exception as error:
        translated = _pull_error(error, repo_id, revision)
        if translated is None:
            raise
        raise translated from None
    _refuse_remote_pickles(repo_id, snapshot)
    return snapshot


def push_to_hub(
    directory: str | Path,
    repo_id: str,
    private: bool = False,
    revision: str | None = None,
    token: str | None = None,
) -> CommitInfo:
    """Upload a model folder to ``repo_id`` (created if missing; ``revision``: a branch, created if missing).

    Returns huggingface_hub's ``CommitInfo``: a ``str`` holding the commit URL, ``.oid`` its sha.
    """
    from huggingface_hub import HfApi, get_token

    from zoo import __version__

    folder = Path(directory).expanduser()
    check_part_files(folder, read_config(folder))
    if not _REPO_ID.match(repo_id):
        raise HubError(f"repo id {repo_id!r} must look like org/name")
    secret = token or get_token()
    if secret is None:
        raise HubError("pushing needs a Hugging Face token: set HF_TOKEN or log in with `hf auth login`")
    api = HfApi(token=token, library_name="faceswap-zoo", library_version=__version__)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision is not None and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            revision=revision,
            allow_patterns=ALLOW_PATTERNS,
            commit_message=f"Upload {folder.name} with faceswap-zoo {__version__}",
        )
    except Exception as error:
        translated = _push_error(error, repo_id, revision, secret)
        if translated is None:
            raise
        raise translated from None


# -- errors ------------------------------------------------------------------------------------


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _network_errors() -> tuple[type[BaseException], ...]:
    """Transport failures of huggingface_hub's HTTP client (httpx2 in 2.x, httpx in 1.x)."""
    classes: list[type[BaseException]] = [ConnectionError]
    for module in ("httpx2", "httpx"):
        try:
            classes.append(importlib.import_module(module).TransportError)
        except ImportError:
            continue
    return tuple(classes)


def _reason(error: BaseException | None) -> str:
    """First line of an error, without the client's multi-line advice."""
    if error is None:
        return "no response"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _http_status(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def _redact(message: str, *secrets: str | None) -> str:
    from huggingface_hub import get_token

    for secret in {*secrets, get_token()}:
        if secret:
            message = message.replace(secret, "***")
    return message


def _at(revision: str | None) -> str:
    return f" at revision '{revision}'" if revision else ""


def _pull_error(error: Exception, repo_id: str, revision: str | None) -> HubError | None:
    """The one-line error for a client exception; None for anything that is not about the Hub."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HFValidationError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    endpoint = _endpoint()
    if isinstance(error, HFValidationError):
        message = f"'{repo_id}' is neither a local model folder nor a Hub repo id (org/name)"
    elif isinstance(error, RevisionNotFoundError):
        message = f"revision '{revision}' not found in Hub repo '{repo_id}' ({endpoint})"
    elif isinstance(error, GatedRepoError):
        message = f"Hub repo '{repo_id}' is gated: accept its conditions on its Hub page, then log in (`hf auth login`)"
    elif isinstance(error, RepositoryNotFoundError):
        message = (
            f"no local folder '{repo_id}' and no Hub repo of that name at {endpoint} "
            "(if it is private: set HF_TOKEN or log in with `hf auth login`)"
        )
    elif isinstance(error, LocalEntryNotFoundError):
        cause = error.__cause__
        if constants.is_offline_mode():
            message = (
                f"'{repo_id}'{_at(revision)} is not in the local Hugging Face cache ({constants.HF_HUB_CACHE}) "
                f"and HF_HUB_OFFLINE is set: pull it once online (`zoo pull {repo_id}`)"
            )
        else:
            message = (
                f"cannot reach the Hugging Face Hub at {endpoint} ({_reason(cause)}) and '{repo_id}'{_at(revision)} "
                "is not in the local cache"
            )
    elif isinstance(error, EntryNotFoundError):
        message = f"a file of Hub repo '{repo_id}'{_at(revision)} is missing on the Hub ({_reason(error)})"
    elif isinstance(error, _network_errors()):
        message = f"cannot reach the Hugging Face Hub at {endpoint} ({_reason(error)})"
    elif isinstance(error, HfHubHTTPError):
        message = f"downloading '{repo_id}' from {endpoint} failed (HTTP {_http_status(error)}: {_reason(error)})"
    else:
        return None
    return HubError(_redact(message))


def _push_error(error: Exception, repo_id: str, revision: str | None, token: str) -> HubError | None:
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    endpoint = _endpoint()
    status = _http_status(error)
    if isinstance(error, _network_errors()):
        message = f"cannot reach the Hugging Face Hub at {endpoint} ({_reason(error)})"
    elif status == 401:
        message = f"the Hub at {endpoint} rejected the token (401): check HF_TOKEN or log in again with `hf auth login`"
    elif status == 403:
        message = f"this token may not write to '{repo_id}' on {endpoint} (403 Forbidden)"
    elif isinstance(error, RevisionNotFoundError):
        message = f"branch '{revision}' of Hub repo '{repo_id}' not found and could not be created"
    elif isinstance(error, RepositoryNotFoundError):
        message = f"Hub repo '{repo_id}' not found at {endpoint} and could not be created with this token"
    elif isinstance(error, HfHubHTTPError):
        message = f"pushing to '{repo_id}' on {endpoint} failed (HTTP {status}: {_reason(error)})"
    else:
        return None
    return HubError(_redact(message, token))


def _refuse_remote_pickles(repo_id: str, snapshot: Path) -> None:
    """A repo with pickle weights but no safetensors gets the pickle message, not 'file missing'."""
    if (snapshot / CONFIG_NAME).is_file() and any(snapshot.glob("*.safetensors")):
        return
    from huggingface_hub import get_cached_repo_tree
    from huggingface_hub.errors import CachedRepoTreeNotFoundError

    try:
        listed = [entry.path for entry in get_cached_repo_tree(repo_id, revision=snapshot.name)]
    except CachedRepoTreeNotFoundError:
        return
    pickles = sorted(path for path in listed if path.endswith(PICKLE_SUFFIXES))
    if pickles:
        raise WeightsError(pickle_refusal(f"{repo_id}/{pickles[0]}"))
